"""Bot Framework authentication, both ways.

Outgoing: an app-only access token from Entra ID (client credentials, scope api.botframework.com),
cached until shortly before it expires.
Incoming: every request from the Bot Connector carries a JWT. It is accepted only if it is signed
by a key in the published key set (RS256), was issued by the Bot Framework, is meant for this app
(audience = app id), has not expired, names the same serviceUrl as the activity, and, when the key
lists endorsements, the key is endorsed for the activity's channel.

    TeamsAuthError        the request is refused with 401 and nothing is recorded
"""

import asyncio
import time
from collections.abc import Callable

import httpx
import jwt

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
KEYS_LIFETIME = 24 * 3600  # Microsoft rotates keys rarely; an unknown kid forces a refetch anyway
REFETCH_INTERVAL = 5 * 60  # at most one key-set fetch per 5 minutes, however many unknown kids arrive
CLOCK_SKEW = 300
SERVICE_URL_CLAIM = "serviceurl"  # the Bot Framework's spelling; the activity's field is "serviceUrl"


class TeamsAuthError(Exception):
    pass


class TokenProvider:
    def __init__(
        self, client: httpx.AsyncClient, *, token_url: str, app_id: str, password: str, clock: Callable[[], float] = time.time
    ):
        self.client, self.token_url, self.app_id, self.password, self.clock = client, token_url, app_id, password, clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        """After a 401 from the connector: the next call fetches a fresh token."""
        self._token = None

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self.clock() > self._expires - 300:
                await self._fetch()
            assert self._token is not None  # set by _fetch, which raises otherwise
            return self._token

    async def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self.password,
            "scope": BOT_FRAMEWORK_SCOPE,
        }
        response = await self.client.post(self.token_url, data=form)
        if response.status_code != 200:
            raise httpx.HTTPStatusError(
                f"token endpoint answered {response.status_code}", request=response.request, response=response
            )
        body = response.json()
        self._token, self._expires = body["access_token"], self.clock() + float(body.get("expires_in", 3600))


class KeySet:
    """The signing keys, found through the OpenID configuration and cached. An unknown key id refetches the
    set at most once per REFETCH_INTERVAL (a flood of forged tokens must not become a flood of fetches),
    and concurrent requests share one fetch."""

    def __init__(self, client: httpx.AsyncClient, openid_url: str, clock: Callable[[], float] = time.time):
        self.client, self.openid_url, self.clock = client, openid_url, clock
        self._keys: dict[str, dict] = {}
        self._fetched = 0.0  # when the set was last loaded
        self._tried: float | None = None  # when a fetch was last attempted (successful or not)
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        self._tried = self.clock()
        config = (await self.client.get(self.openid_url)).raise_for_status().json()
        keys = (await self.client.get(config["jwks_uri"])).raise_for_status().json()["keys"]
        self._keys = {key["kid"]: key for key in keys if "kid" in key}
        self._fetched = self.clock()

    def _may_fetch(self, kid: str) -> bool:
        now = self.clock()
        if self._tried is not None and now - self._tried < REFETCH_INTERVAL:
            return False
        return not self._keys or kid not in self._keys or now - self._fetched > KEYS_LIFETIME

    async def key(self, kid: str) -> dict:
        if kid not in self._keys or self.clock() - self._fetched > KEYS_LIFETIME:
            async with self._lock:
                if self._may_fetch(kid):
                    try:
                        await self._refresh()
                    except (httpx.HTTPError, KeyError, ValueError) as exc:
                        raise TeamsAuthError(f"cannot fetch the signing keys: {exc}") from None
        if kid not in self._keys:
            raise TeamsAuthError("token signed by an unknown key")
        return self._keys[kid]


class RequestValidator:
    def __init__(self, keys: KeySet, *, app_id: str, issuer: str):
        self.keys, self.app_id, self.issuer = keys, app_id, issuer

    async def validate(self, authorization: str | None, activity: dict) -> dict:
        """The token's claims, or TeamsAuthError saying why the request is refused."""
        if not authorization or not authorization.startswith("Bearer "):
            raise TeamsAuthError("missing bearer token")
        token = authorization.removeprefix("Bearer ").strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TeamsAuthError(f"malformed token: {exc}") from None
        if header.get("alg") != "RS256":
            raise TeamsAuthError(f"algorithm {header.get('alg')!r} is not allowed")
        jwk = await self.keys.key(str(header.get("kid")))
        claims = self._decode(token, jwk)
        self._check_activity(claims, jwk, activity)
        return claims

    def _decode(self, token: str, jwk: dict) -> dict:
        try:
            return jwt.decode(
                token,
                jwt.PyJWK(jwk, "RS256").key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=self.issuer,
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise TeamsAuthError(f"invalid token: {exc}") from None

    @staticmethod
    def _check_activity(claims: dict, jwk: dict, activity: dict) -> None:
        service_url = activity.get("serviceUrl")
        if not service_url or claims.get(SERVICE_URL_CLAIM, claims.get("serviceUrl")) != service_url:
            raise TeamsAuthError("the token's serviceUrl does not match the activity's")
        endorsements = jwk.get("endorsements")
        if endorsements is not None and activity.get("channelId") not in endorsements:
            raise TeamsAuthError(f"the signing key is not endorsed for channel {activity.get('channelId')!r}")
