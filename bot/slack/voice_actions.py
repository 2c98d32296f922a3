"""Slack side of frontline voice (issue 17): the App Home buttons open a modal; a submitted modal is
checked (a field that cannot be right comes back on the modal, nothing lost), acked, then saved through
bot.core.voice, and the writer gets a DM with the thanks and the same safety notice as reflections."""

import asyncio
import logging

from slack_bolt.async_app import AsyncApp
from sqlmodel import Session

from bot.core.replying import safety_notice
from bot.core.service import Service
from bot.core.voice import THANKS_MOMENT, THANKS_PROPOSAL, SavedText, submit_moment, submit_proposal
from bot.slack.home_tab import find_person
from bot.slack.web import SlackApi
from digests.slack_voice import (
    MOMENT_ACTION,
    MOMENT_VIEW,
    PROPOSAL_VIEW,
    PROPOSE_ACTION,
    moment_fields,
    moment_modal,
    proposal_fields,
    proposal_modal,
)
from lesson_bank.taxonomy import load_taxonomy
from schedules import moments, proposals
from schedules.models import Person

log = logging.getLogger("lessonloop.slack")
FIELD_BLOCKS = {
    "what_happened": "what_happened",
    "learned": "learned",
    "roles": "roles",
    "outcome": "outcome",
    "what_helped": "what_helped",
    "factors": "factors",
}


def _block_for(message: str) -> str:
    """The modal block a field error belongs to (errors name the field: "field 'learned' ...")."""
    return next((block for field, block in FIELD_BLOCKS.items() if f"'{field}'" in message), "what_happened")


def _save(service: Service, person_id: int, submit, text) -> SavedText:
    with Session(service.engine) as session:
        return submit(service, session, person=session.get(Person, person_id), text=text)


async def _tell(service: Service, api: SlackApi, user_id: str, saved: SavedText, thanks: str) -> None:
    notice = safety_notice(saved, service.settings.organisation_contact)
    await api.post("chat.postMessage", channel=user_id, text="\n\n".join(filter(None, [notice, thanks])))


def register(app: AsyncApp, service: Service, api: SlackApi) -> None:
    contact = service.settings.organisation_contact
    taxonomy = load_taxonomy()

    @app.action(PROPOSE_ACTION)
    async def open_proposal(ack, body):
        await ack()
        roles = {r: t.label for r, t in taxonomy.roles.items()}
        await api.post("views.open", trigger_id=body["trigger_id"], view=proposal_modal(roles, contact))

    @app.action(MOMENT_ACTION)
    async def open_moment(ack, body):
        await ack()
        factors = {f: t.label for f, t in taxonomy.factors.items()}
        await api.post("views.open", trigger_id=body["trigger_id"], view=moment_modal(moments.OUTCOMES, factors, contact))

    async def _submitted(ack, body, text, check, submit, thanks: str) -> None:
        try:
            check(text)
        except ValueError as exc:
            await ack(response_action="errors", errors={_block_for(str(exc)): str(exc)[:150]})
            return
        await ack()
        user_id = body["user"]["id"]
        person_id = await find_person(service, api, user_id)
        if person_id is None:
            log.warning("a %s from a Slack user not on the list was not saved", body.get("view", {}).get("callback_id"))
            await api.post(
                "chat.postMessage", channel=user_id, text="You are not on the LessonLoop list yet, so this was not saved."
            )
            return
        saved = await asyncio.to_thread(_save, service, person_id, submit, text)
        await _tell(service, api, user_id, saved, thanks)

    @app.view(PROPOSAL_VIEW)
    async def proposal_submitted(ack, body, view):
        happened, learned, roles, credit = proposal_fields(view.get("state") or {})
        await _submitted(
            ack,
            body,
            proposals.ProposalText(happened, learned, roles, credit),
            lambda text: proposals.check_fields(text, taxonomy.roles),
            submit_proposal,
            THANKS_PROPOSAL,
        )

    @app.view(MOMENT_VIEW)
    async def moment_submitted(ack, body, view):
        outcome, happened, helped, factors = moment_fields(view.get("state") or {})
        await _submitted(
            ack,
            body,
            moments.MomentText(outcome, happened, helped, factors),
            lambda text: moments.check_fields(text, factors=taxonomy.factors, themes=taxonomy.themes),
            submit_moment,
            THANKS_MOMENT,
        )
