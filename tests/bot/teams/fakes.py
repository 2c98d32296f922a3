"""Loopback stand-ins for Microsoft: the Entra token endpoint, the Bot Framework OpenID configuration
and key set (the public half of a test key), the Bot Connector service, and Workflows webhooks.
Served through httpx.MockTransport, so the real client code runs and nothing leaves the machine."""

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
import fastjsonschema
from jsonschema import Draft6Validator, ValidationError

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "tenant-0001"
SERVICE_URL = "https://smba.test/teams/"
TOKEN_URL = f"https://login.test/{TENANT}/oauth2/v2.0/token"
OPENID_URL = "https://login.test/botframework/openid"
ISSUER = "https://api.botframework.com"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_SIGNING_KEY = new_key()  # made once: RSA key generation is the slowest part of a test


@dataclass
class Microsoft:
    key: object = _SIGNING_KEY
    kid: str = "test-key-1"
    tokens_issued: int = 0
    sent: list[tuple[str, dict]] = field(default_factory=list)  # (conversation id, activity)
    updated: list[tuple[str, str, dict]] = field(default_factory=list)  # (conversation id, activity id, activity)
    calls: list[tuple[float, str, str]] = field(default_factory=list)  # (time, method, path)
    members: dict[str, dict] = field(default_factory=dict)  # user id -> profile
    throttle: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # conversation -> statuses to answer first
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)  # conversation -> (status, error code)
    webhook_posts: list[tuple[str, dict]] = field(default_factory=list)
    webhook_throttle: list[int] = field(default_factory=list)

    # --- what the service under test is given
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def jwk(self) -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return public | {"kid": self.kid, "use": "sig", "endorsements": ["msteams"]}

    # --- what Teams would send us
    def bearer(self, *, key=None, kid=None, audience=APP_ID, issuer=ISSUER, expires_in=300, service_url=SERVICE_URL) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "exp": now + expires_in, "nbf": now - 5, "serviceurl": service_url}
        token = jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})
        return f"Bearer {token}"

    # --- the stand-in services
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((time.monotonic(), request.method, request.url.path))
        url = str(request.url)
        if url == TOKEN_URL:
            return self._token(request)
        if url == OPENID_URL:
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": "https://login.test/botframework/keys"})
        if url == "https://login.test/botframework/keys":
            return httpx.Response(200, json={"keys": [self.jwk()]})
        if request.url.host == "smba.test":
            return self._connector(request)
        if request.url.host == "webhooks.test":
            return self._webhook(request)
        return httpx.Response(404, json={"error": f"no stand-in for {url}"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
        if form.get("client_id") != APP_ID or form.get("client_secret") != "app-password":
            return httpx.Response(401, json={"error": "invalid_client"})
        self.tokens_issued += 1
        return httpx.Response(
            200, json={"access_token": f"bot-token-{self.tokens_issued}", "expires_in": 3600, "token_type": "Bearer"}
        )

    def _connector(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer bot-token-{self.tokens_issued}":
            return httpx.Response(401, json={"error": {"code": "Unauthorized", "message": "bad token"}})
        path = httpx.URL(str(request.url)).raw_path.decode()
        match = re.fullmatch(r"/teams/v3/conversations/([^/]+)/(activities|members)(?:/([^/]+))?", path)
        if not match:
            return httpx.Response(404, json={"error": {"code": "NotFound", "message": path}})
        conversation, what, item = unquote(match.group(1)), match.group(2), unquote(match.group(3)) if match.group(3) else None
        if conversation in self.refuse:
            status, code = self.refuse[conversation]
            return httpx.Response(status, json={"error": {"code": code, "message": "refused by stand-in"}})
        if self.throttle[conversation]:
            return httpx.Response(
                self.throttle[conversation].pop(0), headers={"Retry-After": "1"}, json={"error": {"code": "Throttled"}}
            )
        if what == "members":
            return (
                httpx.Response(200, json=self.members[item])
                if item in self.members
                else httpx.Response(404, json={"error": {"code": "MemberNotFound"}})
            )
        body = json.loads(request.content)
        if request.method == "PUT":
            self.updated.append((conversation, item, body))
            return httpx.Response(200, json={"id": item})
        self.sent.append((conversation, body))
        return httpx.Response(201, json={"id": f"activity-{len(self.sent)}"})

    def _webhook(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gone"):
            return httpx.Response(404, json={"error": {"code": "WorkflowNotFound"}})
        if self.webhook_throttle:
            return httpx.Response(self.webhook_throttle.pop(0), headers={"Retry-After": "1"})
        self.webhook_posts.append((str(request.url), json.loads(request.content)))
        return httpx.Response(202)


def install_activity(user_id: str, aad_object_id: str, conversation_id: str, *, action: str = "add") -> dict:
    return {
        "type": "installationUpdate",
        "action": action,
        "id": f"install-{user_id}",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": user_id, "aadObjectId": aad_object_id},
        "recipient": {"id": f"28:{APP_ID}", "name": "LessonLoop"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
    }


def invoke_activity(data: dict, aad_object_id: str, conversation_id: str, reply_to: str = "activity-1") -> dict:
    return {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": "invoke-1",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": "29:user", "aadObjectId": aad_object_id},
        "recipient": {"id": f"28:{APP_ID}"},
        "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
        "replyToId": reply_to,
        "value": {"action": {"type": "Action.Execute", "verb": "lessonloop.reply", "data": data}},
    }


# Every card is checked against the published schema, vendored under tests/vendor (MIT, see its README).
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "vendor" / "adaptive-card-1.5.schema.json"


TEAMS_EXTENSION_PATH = SCHEMA_PATH.parent / "teams-card-extension.schema.json"


def card_schema() -> dict:
    """The Adaptive Cards 1.5 schema with Teams' `msteams` root property allowed (and itself checked)."""
    schema = json.loads(SCHEMA_PATH.read_text())
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = json.loads(TEAMS_EXTENSION_PATH.read_text())
    return schema


class CardValidator:
    """The Adaptive Cards schema check, fast: `fastjsonschema` compiles the schema to Python once per process
    (about 15x faster a card than `jsonschema`, which matters across every lesson in every state); a card it
    rejects is checked again by `jsonschema`, whose errors say where and why."""

    _compiled: Callable[[dict], object] | None = None

    def __init__(self) -> None:
        schema = card_schema()
        self.detailed = Draft6Validator(schema)
        if CardValidator._compiled is None:
            CardValidator._compiled = fastjsonschema.compile(schema)

    def iter_errors(self, card: dict) -> Iterator[ValidationError]:
        assert CardValidator._compiled is not None
        try:
            CardValidator._compiled(card)
        except fastjsonschema.JsonSchemaValueException as fast:
            errors = list(self.detailed.iter_errors(card))
            # Both must agree that the card is invalid, or the quick check has a bug of its own.
            yield from errors or [ValidationError(f"fastjsonschema alone rejects the card: {fast.message}")]

    def is_valid(self, card: dict) -> bool:
        return next(self.iter_errors(card), None) is None

    def validate(self, card: dict) -> None:
        if (error := next(self.iter_errors(card), None)) is not None:
            raise error


def card_validator() -> CardValidator:
    return CardValidator()
