"""Calls to the Slack Web API through slack_sdk's AsyncWebClient, paced, with Slack's answers turned
into the one error type channels use.

    ok                      -> the response data
    429 + Retry-After       -> everyone pauses for that long, then the same call is tried again
    account_inactive, ...   -> TransportError(permanent=True): never retried (email takes over)
    anything else           -> TransportError(permanent=False): the dispatcher retries with backoff
"""

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.settings import Settings
from bot.core.pacing import KeyedLimiters, Limiter, even_spread
from bot.core.retry import TryAgain, header, retry_after, send_with_retry
from bot.core.transport import TransportError

# Errors that will give the same answer however often we ask.
PERMANENT = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "users_not_found",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "is_archived",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "team_access_not_granted",
        "invalid_blocks",
        "msg_too_long",
    }
)


def web_client(settings: Settings) -> AsyncWebClient:
    base = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return AsyncWebClient(token=settings.slack_bot_token, base_url=base, timeout=30)


CHANNEL_GAP = ((1, 1.0),)  # Slack allows about one message a second in each conversation


class SlackApi:
    """One workspace: an even budget for chat.* (and one message a second per conversation), and a
    smaller budget for the Tier 3 look-ups. A 429 pauses every sender on that budget."""

    def __init__(
        self, client: AsyncWebClient, *, per_minute: int, lookup_per_minute: int, max_rate_limited: int = 8, **clock_and_sleep
    ):
        self.client = client
        self.post_limiter = Limiter(even_spread(per_minute), **clock_and_sleep)
        self.lookup_limiter = Limiter(even_spread(lookup_per_minute), **clock_and_sleep)
        self.conversations = KeyedLimiters(CHANNEL_GAP, **clock_and_sleep)
        self.max_rate_limited = max_rate_limited
        self.rate_limited = 0  # 429 answers seen, for benchmarks and logs
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    def _use_loop_session(self) -> None:
        """Keep connections open between calls. An aiohttp session belongs to one event loop, and
        commands, the scheduler and tests may each run their own, so each loop gets its own."""
        loop = asyncio.get_running_loop()
        for other in [l for l in self._sessions if l.is_closed()]:
            del self._sessions[other]  # its loop is gone; so are its connections
        session = self._sessions.get(loop)
        if session is None or session.closed:
            session = self._sessions[loop] = aiohttp.ClientSession()
        self.client.session = session

    @classmethod
    def from_settings(cls, settings: Settings) -> "SlackApi":
        return cls(web_client(settings), per_minute=settings.slack_per_minute, lookup_per_minute=settings.slack_lookup_per_minute)

    async def call(self, method: str, *, limiter: Limiter, pace_key: str | None = None, **params) -> dict:
        """`pace_key` is the conversation a message goes to: Slack allows about one a second in each."""

        async def attempt(_number: int) -> dict:
            await self.wait_turn(limiter, pace_key)
            self._use_loop_session()
            try:
                # slack_sdk's own method, so each call is encoded as Slack expects (GET, form or JSON)
                response = await getattr(self.client, method.replace(".", "_"))(**params)
                return response.data
            except SlackApiError as exc:
                if exc.response.status_code != 429:
                    raise classify(method, exc) from None
                self.rate_limited += 1
                limiter.pause(retry_after(header(exc.response.headers, "Retry-After") or "1", 0, cap=3600.0))
                raise TryAgain(TransportError(f"{method}: still rate limited after {self.max_rate_limited + 1} tries")) from None
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise TransportError(f"{method}: {type(exc).__name__}: {exc}") from None

        # the limiter itself waits out the pause, so the retry loop need not sleep
        return await send_with_retry(attempt, tries=self.max_rate_limited + 1)

    async def wait_turn(self, limiter: Limiter, pace_key: str | None = None) -> None:
        if pace_key is not None:
            await self.conversations[pace_key].acquire()
        await limiter.acquire()

    async def post(self, method: str, **params) -> dict:
        return await self.call(method, limiter=self.post_limiter, pace_key=params.get("channel"), **params)

    async def lookup(self, method: str, **params) -> dict:
        return await self.call(method, limiter=self.lookup_limiter, **params)

    async def close(self) -> None:
        """Close the session of the loop we are called on; sessions of finished loops are already dead."""
        loop = asyncio.get_running_loop()
        session = self._sessions.pop(loop, None)
        if session is not None and not session.closed:
            await session.close()


def classify(method: str, exc: SlackApiError) -> TransportError:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    code = data.get("error") or f"HTTP {exc.response.status_code}"
    permanent = code in PERMANENT
    return TransportError(code if permanent else f"{method}: {code}", permanent=permanent)
