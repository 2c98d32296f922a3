"""This week's agenda item for a team, as every channel asks for it (Slack command, Teams post, email, pages)."""
import hashlib

from sqlmodel import Session

from bot.service import Service
from digests.agenda import AgendaItem, plain_agenda_item
from lesson_bank.model import Status
from lesson_bank.taxonomy import load_taxonomy
from schedules.models import Team


def current_agenda(service: Service, session: Session, *, team_id: int, week: str) -> AgendaItem | None:
    """A plain item: a published lesson picked steadily for the team and week (replaced by the full chooser)."""
    team = session.get(Team, team_id)
    lessons = sorted(l for l in service.lessons if service.lessons[l].status is Status.PUBLISHED)
    if team is None or not lessons:
        return None
    index = int(hashlib.sha1(f"{team_id}/{week}".encode()).hexdigest(), 16) % len(lessons)
    lesson = service.lessons[lessons[index]]
    label = load_taxonomy().theme_label(lesson.primary_theme)
    return plain_agenda_item(team_id=team.id, team_name=team.name, week=week, lesson=lesson, theme_label=label)
