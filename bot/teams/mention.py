"""An @mention of the bot in a team channel: answer with the current agenda item of the team of the person
who mentioned it (the app declares the `team` scope, so a mention must not go unanswered). The message
text is never kept."""

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.agenda import agenda_link, current_agenda
from bot.core.clock import utcnow
from bot.core.service import Service
from bot.core.transport import TransportError
from bot.teams.connector import ConversationRef, card_activity
from bot.teams.install import _by_aad_id
from digests.cards import agenda_card
from schedules.models import Team
from schedules.slots import week_key

log = logging.getLogger("lessonloop.teams")
NOT_KNOWN = "I can only show the agenda item to people on the LessonLoop list. Ask your safeguarding lead to add you."
NO_TEAM = "You are not in a team on LessonLoop, so there is no team agenda item to show."


def agenda_reply(service: Service, aad_object_id: str | None, now: datetime) -> dict:
    """Blocking (database): the reply activity, a card with the agenda item or a sentence saying why not."""
    with Session(service.engine) as session:
        person = _by_aad_id(session, aad_object_id)
        if person is None:
            return {"type": "message", "text": NOT_KNOWN}
        team = session.get(Team, person.team_id) if person.team_id else None
        if team is None or team.id is None:
            return {"type": "message", "text": NO_TEAM}
        week = week_key(now.astimezone(ZoneInfo(team.timezone)).date())
        item = current_agenda(service, session, team_id=team.id, week=week)
        if item is None:
            return {"type": "message", "text": f"There is no agenda item for {team.name} this week."}
        return card_activity(agenda_card(item, agenda_link(service, team.id, week)), summary=item.title)


async def answer_mention(service: Service, channel, activity: dict) -> None:
    sender = (activity.get("from") or {}).get("aadObjectId")
    reply = await asyncio.to_thread(agenda_reply, service, sender, utcnow())
    reply["replyToId"] = activity.get("id")
    try:
        await channel.connector.send(ConversationRef.from_activity(activity), reply)
    except TransportError as exc:
        log.warning("could not answer a channel mention: %s", exc.message)
