"""The weekly team-meeting agenda item: what it holds, and a plain version built from one lesson.

The full chooser (themes weighted by the team's replies, local lessons, the team's own figures) builds
the same AgendaItem, so every channel renders it the same way."""

from dataclasses import dataclass, field

from lesson_bank.model import Lesson, Source
from schedules.slots import week_of


@dataclass(frozen=True)
class AgendaItem:
    team_id: int
    team_name: str
    week: str  # ISO week, e.g. 2026-W48
    theme_id: str
    theme_label: str
    lesson_id: str
    lesson_version: str
    title: str
    vignette: str  # a short anonymised case, in Markdown
    questions: tuple[str, ...]  # two or three discussion questions
    team_action: str  # one action for the team to agree
    sources: tuple[Source, ...]  # public sources only: each shown as its title, linked
    minutes: int = 10
    figures: dict[str, object] = field(default_factory=dict)  # the team's own anonymous figures, when enough replies

    @property
    def week_label(self) -> str:
        return week_of(self.week)


def _section(body: str, heading: str) -> str:
    lines, keep = [], False
    for line in body.splitlines():
        if line.lstrip().startswith("#"):
            keep = heading.lower() in line.lower()
            continue
        if keep:
            lines.append(line)
    return "\n".join(lines).strip()


def plain_agenda_item(*, team_id: int, team_name: str, week: str, lesson: Lesson, theme_label: str) -> AgendaItem:
    """An agenda item straight from one lesson: its vignette, its reflective question and two prompts."""
    questions = (
        lesson.reflect,
        "Could this happen here? What would make it more or less likely in our team?",
        "Who else might hold information about a family like this, and how would we hear it?",
    )
    return AgendaItem(
        team_id=team_id,
        team_name=team_name,
        week=week,
        theme_id=lesson.primary_theme,
        theme_label=theme_label,
        lesson_id=lesson.id,
        lesson_version=lesson.version,
        title=lesson.title,
        vignette=_section(lesson.body, "What happened") or lesson.body,
        questions=questions,
        team_action=lesson.try_this_week,
        sources=lesson.public_sources,
    )
