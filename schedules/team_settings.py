"""Team meeting settings: day, time, channel webhook and the team lead."""

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from schedules.models import Person, Team
from schedules.slots import parse_weekday

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class TeamSettingError(ValueError):
    pass


@dataclass(frozen=True)
class TeamChange:
    meeting_day: str | None = None
    meeting_time: str | None = None
    webhook: str | None = None
    lead_email: str | None = None


def _lead(session: Session, team: Team, email: str) -> int:
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    if person is None:
        raise TeamSettingError(f"--lead: no person with email '{email}'")
    if person.access != "team_lead":
        raise TeamSettingError(f"--lead: '{email}' has access '{person.access}'; a team lead needs access team_lead")
    if person.team_id != team.id:
        raise TeamSettingError(f"--lead: '{email}' is not in team '{team.name}'")
    assert person.id is not None  # loaded from the database
    return person.id


def update_team(session: Session, *, name: str, change: TeamChange) -> Team:
    """Check every field before changing anything; the caller commits."""
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        raise TeamSettingError(f"TEAM: no team named '{name}'")
    try:
        day = parse_weekday(change.meeting_day) if change.meeting_day else team.meeting_day
    except ValueError as exc:
        raise TeamSettingError(f"--meeting-day: {exc}") from None
    if change.meeting_time and not HHMM.match(change.meeting_time):
        raise TeamSettingError(f"--meeting-time: '{change.meeting_time}' must be HH:MM, e.g. 10:00")
    if change.webhook and not change.webhook.startswith("https://"):
        raise TeamSettingError(f"--webhook: '{change.webhook}' must be an https:// URL")
    lead = _lead(session, team, change.lead_email) if change.lead_email else team.lead_person_id
    team.meeting_day, team.meeting_time = day, change.meeting_time or team.meeting_time
    team.webhook_url, team.lead_person_id = change.webhook or team.webhook_url, lead
    session.add(team)
    return team
