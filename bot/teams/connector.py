"""The Bot Connector REST API (v3), the few calls LessonLoop needs: send to a conversation, update a
sent card, and look up a member's email. Every call is paced (per tenant and per conversation),
authenticated with a cached app token, and retried on the answers Microsoft says are transient.

    429, 412, 500, 502, 503, 504, network errors   retried here with backoff, then TransportError(permanent=False)
    401                                            token refreshed once, then TransportError(permanent=False)
    400, 403, 404 (bot removed, conversation gone) TransportError(permanent=True), with Teams' error code
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from urllib.parse import quote

import httpx

from bot.core.pacing import CONVERSATION_LIMITS, TENANT_LIMITS, KeyedLimiters, Limiter
from bot.core.retry import TryAgain, retry_after, send_with_retry
from bot.teams.auth import TokenProvider
from bot.core.transport import TransportError

TRANSIENT = {412, 429, 500, 502, 503, 504}
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True)
class ConversationRef:
    """Where a person's personal chat with the bot lives; stored on the person at install."""

    service_url: str
    conversation_id: str
    user_id: str
    bot_id: str
    tenant_id: str | None = None
    aad_object_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ConversationRef":
        return cls(**json.loads(text))

    @classmethod
    def from_activity(cls, activity: dict) -> "ConversationRef":
        sender = activity.get("from") or {}
        tenant = (activity.get("conversation") or {}).get("tenantId") or (
            (activity.get("channelData") or {}).get("tenant") or {}
        ).get("id")
        return cls(
            service_url=activity["serviceUrl"],
            conversation_id=activity["conversation"]["id"],
            user_id=sender.get("id", ""),
            bot_id=(activity.get("recipient") or {}).get("id", ""),
            tenant_id=tenant,
            aad_object_id=sender.get("aadObjectId"),
        )


def card_activity(card: dict, summary: str = "") -> dict:
    activity = {"type": "message", "attachments": [{"contentType": CARD_TYPE, "content": card}]}
    return activity | ({"summary": summary} if summary else {})


def _error(response: httpx.Response) -> TransportError:
    try:
        error = response.json().get("error", {})
        detail = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        detail = response.text[:200]
    permanent = response.status_code in (400, 403, 404, 410)
    return TransportError(f"Teams answered {response.status_code} {detail}".strip(), permanent=permanent)


class Connector:
    def __init__(
        self,
        client: httpx.AsyncClient,
        tokens: TokenProvider,
        *,
        tries: int = 4,
        max_wait: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.client, self.tokens, self.tries, self.max_wait, self.sleep = client, tokens, tries, max_wait, sleep
        self.tenant = Limiter(TENANT_LIMITS)
        self.conversations = KeyedLimiters(CONVERSATION_LIMITS)

    @staticmethod
    def _url(ref: ConversationRef, *parts: str) -> str:
        return (
            ref.service_url.rstrip("/")
            + "/v3/conversations/"
            + "/".join(quote(p, safe="") for p in (ref.conversation_id, *parts))
        )

    async def send(self, ref: ConversationRef, activity: dict) -> str:
        response = await self._call("POST", self._url(ref, "activities"), ref.conversation_id, activity)
        return response.json().get("id", "")

    async def update(self, ref: ConversationRef, activity_id: str, activity: dict) -> None:
        await self._call("PUT", self._url(ref, "activities", activity_id), ref.conversation_id, activity | {"id": activity_id})

    async def member(self, ref: ConversationRef) -> dict:
        """The member's profile (email, userPrincipalName, aadObjectId), to match them to the roster."""
        return (await self._call("GET", self._url(ref, "members", ref.user_id), ref.conversation_id)).json()

    def _judge(self, response: httpx.Response, attempt: int) -> Exception:
        """What went wrong: raised as it is when trying again is pointless, as TryAgain when it is not."""
        problem = _error(response)
        if response.status_code == 401:
            self.tokens.forget()  # the next attempt fetches a fresh token
            problem.permanent = False
            return TryAgain(problem)
        if response.status_code not in TRANSIENT:
            return problem
        return TryAgain(problem, retry_after(response.headers.get("Retry-After"), attempt, cap=self.max_wait))

    async def _call(self, method: str, url: str, conversation: str, body: dict | None = None) -> httpx.Response:
        async def attempt(number: int) -> httpx.Response:
            await self.tenant.acquire()
            await self.conversations[conversation].acquire()
            try:
                token = await self.tokens.token()
                response = await self.client.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                raise TryAgain(
                    TransportError(f"{type(exc).__name__}: {exc}"), retry_after(None, number, cap=self.max_wait)
                ) from None
            if response.status_code < 300:
                return response
            raise self._judge(response, number)

        return await send_with_retry(attempt, tries=self.tries, sleep=self.sleep)
