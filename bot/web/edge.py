"""What every request passes through before a route sees it: a body size cap (checked before reading),
an Origin check on browser POSTs, and security headers on every response. Plain ASGI, so a refused
body is never read into memory."""

from urllib.parse import urlparse

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
FORM_LIMIT = 64 * KIB  # a reply page or agenda form: 2,000 characters of UTF-8 and a few fields
# Chat platforms post JSON activities and interaction payloads; Slack's documented maximum is well under this.
CHAT_LIMIT = 256 * KIB
CHAT_PREFIXES = ("/api/teams/", "/slack/")  # server to server, signed: no browser Origin to check
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    # Reply and agenda links carry tokens: never pass them to another site. Not "no-referrer": with it,
    # browsers send `Origin: null` on our own form POSTs, and the Origin check could not tell them apart.
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def body_limit(path: str) -> int:
    return CHAT_LIMIT if path.startswith(CHAT_PREFIXES) else FORM_LIMIT


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def same_origin(scope: Scope, allowed_hosts: set[str]) -> bool:
    """A browser names the page a POST came from (Origin, else Referer). A request naming none is not from
    a browser form on another site (mail clients' one-click unsubscribe sends none) and is let through."""
    fetch_site = _header(scope, b"sec-fetch-site")  # set by the browser itself; a page cannot forge it
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    source = _header(scope, b"origin") or _header(scope, b"referer")
    if source is None:
        return True
    host = urlparse(source).netloc.lower()
    own = (_header(scope, b"host") or "").lower()
    return bool(host) and (host == own or host in allowed_hosts)


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing passes it on (it turns other errors into a 400)."""

    def __init__(self, limit: int):
        super().__init__(413, f"The request is larger than {limit // KIB} KiB.")


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Edge:
    def __init__(self, app: ASGIApp, *, base_url: str):
        self.app = app
        self.allowed_hosts = {urlparse(base_url).netloc.lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, limit = scope["path"], body_limit(scope["path"])
        if scope["method"] == "POST" and not path.startswith(CHAT_PREFIXES) and not same_origin(scope, self.allowed_hosts):
            await _plain(send, 403, "This form was sent from another site, so it was not accepted.")
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _plain(send, 413, f"The request is larger than {limit // KIB} KiB.")
            return
        received, started = 0, False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # chunked or a Content-Length that lied: stop reading at once
                    raise BodyTooLarge(limit)
            return message

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, counted_receive, with_headers)
        except BodyTooLarge:
            if not started:
                await _plain(send, 413, f"The request is larger than {limit // KIB} KiB.")
