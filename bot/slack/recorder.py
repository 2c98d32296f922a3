"""Where Slack taps are recorded: through the service's reply writer (bot.core.reply_writer), which saves
the taps arriving together in one transaction on its own thread.

Listeners ack first and then await this; the event loop that acks Slack never waits on a database write
lock, and a burst of taps costs a few commits a second rather than one each (a child process used to do
this work because one commit per tap could not keep up; group commit can)."""

from functools import partial

from bot.core.replying import Answer, ReplyRequest
from bot.core.reply_writer import reply_writer
from bot.core.service import Service
from bot.slack.taps import Updated, check_owner, message_after


class Recorder:
    def __init__(self, service: Service):
        self._service = service

    async def record(self, *, user_id: str, delivery_id: int, answer: Answer, container: dict) -> Updated:
        """Returns once the reply is committed. Raises ReplyError, UnknownDelivery or NotYours."""
        request = ReplyRequest(delivery_id, answer, check=partial(check_owner, user_id=user_id))
        saved = await reply_writer(self._service).save_async(request)
        return message_after(saved, container, contact=self._service.settings.organisation_contact)
