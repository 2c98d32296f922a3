"""A Slack-compatible Web API on loopback, after bolt-python's tests/mock_web_api_server: real HTTP,
Slack-shaped JSON, every call recorded. It can enforce Slack's limits (a per-minute budget per method,
about one message a second per channel), answer 429 with Retry-After, and fail with Slack's errors.

    api = SlackStandIn(); api.start(); ...; api.stop()
    base URL: api.url ("http://127.0.0.1:PORT/api/"), response_url for commands: api.response_url(n)
"""

import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

TOKEN = "xoxb-test-token"


@dataclass
class Call:
    method: str
    params: dict
    at: float
    status: int = 200


@dataclass
class Workspace:
    users: dict[str, str] = field(default_factory=dict)  # email -> user id
    deactivated: set[str] = field(default_factory=set)  # user ids
    per_minute: dict[str, int] = field(default_factory=dict)  # method -> calls allowed in any 60 s
    channel_gap: float | None = None  # chat.postMessage: seconds between messages to one channel
    storm: int = 0  # answer this many next calls with 429
    storm_retry_after: int = 1
    errors: dict[tuple[str, str], str] = field(default_factory=dict)  # (method, channel or user) -> error


class SlackStandIn:
    def __init__(self, workspace: Workspace | None = None, port: int = 0):
        self.workspace = workspace or Workspace()
        self.calls: list[Call] = []
        self.responses: list[dict] = []  # bodies posted to response_url
        self._lock = threading.Lock()
        self._windows: dict[str, deque] = {}
        self._channel_last: dict[str, float] = {}
        self._ts = 1_700_000_000_000_000
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/"

    def response_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/respond/{n}"

    def start(self) -> "SlackStandIn":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ok_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def count(self, method: str, status: int | None = None) -> int:
        return sum(1 for c in self.calls if c.method == method and (status is None or c.status == status))

    def add_user(self, email: str, user_id: str, *, deactivated: bool = False) -> None:
        self.workspace.users[email] = user_id
        if deactivated:
            self.workspace.deactivated.add(user_id)

    # -- the API ------------------------------------------------------------------------------------
    def _rate_limited(self, method: str, params: dict, now: float) -> int | None:
        """Seconds to wait if this call is over a limit, else None (and the call is counted)."""
        ws = self.workspace
        if ws.storm > 0:
            ws.storm -= 1
            return ws.storm_retry_after
        limit = ws.per_minute.get(method)
        window = self._windows.setdefault(method, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if limit is not None and len(window) >= limit:
            return max(1, math.ceil(window[0] + 60 - now))
        channel = params.get("channel")
        if method == "chat.postMessage" and ws.channel_gap and channel:
            last = self._channel_last.get(channel)
            if last is not None and now - last < ws.channel_gap:
                return max(1, math.ceil(ws.channel_gap - (now - last)))
            self._channel_last[channel] = now
        window.append(now)
        return None

    def answer(self, method: str, params: dict, token: str | None) -> tuple[int, dict, dict]:
        now = time.monotonic()
        with self._lock:
            wait = self._rate_limited(method, params, now)
            self.calls.append(Call(method, params, now, 429 if wait else 200))
            if wait:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
            if token != TOKEN:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            return 200, self._method(method, params), {}

    def _method(self, method: str, params: dict) -> dict:
        ws = self.workspace
        key = params.get("channel") or params.get("users") or params.get("user") or params.get("email") or ""
        if (method, key) in ws.errors:
            return {"ok": False, "error": ws.errors[method, key]}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "lessonloop",
                "team_id": "T1",
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        if method == "users.lookupByEmail":
            user_id = ws.users.get(params.get("email", ""))
            if user_id is None:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": self._user(user_id)}
        if method == "users.info":
            if params.get("user") not in ws.users.values():
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": self._user(params["user"])}
        if method == "conversations.open":
            user_id = params.get("users", "")
            if user_id in ws.deactivated:
                return {"ok": False, "error": "account_inactive"}
            return {"ok": True, "channel": {"id": "D" + user_id}}
        if method in ("chat.postMessage", "chat.update"):
            channel = params.get("channel", "")
            if channel[1:] in ws.deactivated:
                return {"ok": False, "error": "account_inactive"}
            if method == "chat.update":
                return {"ok": True, "channel": channel, "ts": params.get("ts"), "text": params.get("text")}
            self._ts += 100
            ts = f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {"id": "V1", **(params.get("view") or {})}}
        return {"ok": False, "error": "unknown_method"}

    def _user(self, user_id: str) -> dict:
        email = next(e for e, u in self.workspace.users.items() if u == user_id)
        return {"id": user_id, "team_id": "T1", "deleted": user_id in self.workspace.deactivated, "profile": {"email": email}}

    def _handler_class(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Slack's API does

            def log_message(self, *args):  # quiet
                return

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path == "/stats":  # for benchmarks running the stand-in in another process
                    with standin._lock:
                        counts: dict[str, int] = {}
                        for call in standin.calls:
                            key = f"{call.method} {call.status}"
                            counts[key] = counts.get(key, 0) + 1
                    return self._send(200, counts, {})
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                status, data, headers = standin.answer(path.removeprefix("/api/"), dict(parse_qsl(query)), token)
                self._send(status, data, headers)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                params = _params(body, self.headers.get("Content-Type", ""))
                _, _, query = self.path.partition("?")
                params |= dict(parse_qsl(query))
                self.path = self.path.partition("?")[0]
                if self.path.startswith("/respond/"):
                    with standin._lock:
                        standin.responses.append(params)
                    return self._send(200, {"ok": True}, {})
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or params.get("token")
                status, data, headers = standin.answer(self.path.removeprefix("/api/"), params, token)
                self._send(status, data, headers)

            def _send(self, status: int, data: dict, headers: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

        return Handler


def serve_forever(port: int) -> None:
    """`python -c 'from tests.bot.slack.web_api_standin import serve_forever; serve_forever(PORT)'`: a stand-in in its own process."""
    standin = SlackStandIn(port=port)
    standin.server.serve_forever()


def _params(body: str, content_type: str) -> dict:
    if "json" in content_type:
        return json.loads(body or "{}")
    params = dict(parse_qsl(body))
    for name in ("blocks", "view"):
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    return params
