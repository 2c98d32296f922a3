"""`/lessonloop agenda` (this week's team-meeting item for the caller's team) and `/lessonloop help`.
Acked at once; the answer follows through the command's response_url, seen only by the caller."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncApp
from sqlmodel import Session

from bot.core.agenda import current_agenda
from bot.core.service import Service
from bot.core.clock import utcnow
from bot.slack.home_tab import find_person
from bot.slack.web import SlackApi
from digests.markdown import slack_escape as esc
from digests.slack_home import agenda_blocks, agenda_text, help_text
from schedules.models import Person, Team
from schedules.slots import week_key

COMMAND = "/lessonloop"


def team_agenda(service: Service, person_id: int, now: datetime) -> dict:
    """The response for the person's team this week (in the team's own time zone)."""
    with Session(service.engine) as session:
        person = session.get(Person, person_id)
        assert person is not None  # found by find_person just before
        team = session.get(Team, person.team_id) if person.team_id else None
        if team is None:
            return {"text": "You are not in a team on LessonLoop, so there is no team agenda for you."}
        assert team.id is not None  # a stored team
        week = week_key(now.astimezone(ZoneInfo(team.timezone)).date())
        item = current_agenda(service, session, team_id=team.id, week=week)
    if item is None:
        return {"text": f"There is no agenda item for {esc(team.name)} this week."}
    return {"text": agenda_text(item), "blocks": agenda_blocks(item)}


async def answer(service: Service, api: SlackApi, user_id: str, text: str) -> dict:
    words = text.strip().lower().split()
    word = words[0] if words else "help"
    if word == "help":
        return {"text": help_text()}
    if word != "agenda":
        return {"text": f"I don't know '{esc(word[:30])}'. Try `{COMMAND} agenda` or `{COMMAND} help`."}
    person_id = await find_person(service, api, user_id)
    if person_id is None:
        return {"text": "You are not on the LessonLoop list yet. Ask your safeguarding lead to add you."}
    return await asyncio.to_thread(team_agenda, service, person_id, utcnow())


def register(app: AsyncApp, service: Service, api: SlackApi) -> None:
    @app.command(COMMAND)
    async def lessonloop_command(ack, command, respond):
        await ack()
        reply = await answer(service, api, command["user_id"], command.get("text") or "")
        await respond(response_type="ephemeral", **reply)
