"""Signed, expiring tokens bound to one delivery and one purpose (reply links, unsubscribe)."""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class BadToken(ValueError):
    pass


@dataclass(frozen=True)
class TokenData:
    subject_id: int
    expires: int


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(raw: bytes) -> str:
    """URL-safe base64 without padding (binascii directly: base64's wrappers cost more than the encoding)."""
    return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: bytes):
        # HMAC-SHA256 (RFC 2104) with the keyed inner and outer hashes, and the purpose, hashed once: a
        # message signs three links, and the one-shot hmac.digest keys both hashes anew each time
        block = hashlib.sha256().block_size
        key = hashlib.sha256(key).digest() if len(key) > block else key
        self._inner_key = hashlib.sha256(key.ljust(block, b"\0").translate(hmac.trans_36))
        self._outer_key = hashlib.sha256(key.ljust(block, b"\0").translate(hmac.trans_5C))
        self._purposes: dict[str, Any] = {}

    def _mac(self, purpose: str, payload: str) -> str:
        inner = self._purposes.get(purpose)
        if inner is None:
            inner = self._purposes[purpose] = self._inner_key.copy()
            inner.update(f"{purpose}:".encode())
        inner = inner.copy()
        inner.update(payload.encode())
        outer = self._outer_key.copy()
        outer.update(inner.digest())
        return _b64(outer.digest()[:18])

    def sign(self, purpose: str, subject_id: int, expires: datetime) -> str:
        payload = f"{subject_id:x}.{int(expires.timestamp()):x}"
        return f"{payload}.{self._mac(purpose, payload)}"

    def verify(self, purpose: str, token: str, now: datetime) -> TokenData:
        try:
            subject_hex, expires_hex, mac = token.split(".")
            payload = f"{subject_hex}.{expires_hex}"
            data = TokenData(int(subject_hex, 16), int(expires_hex, 16))
        except ValueError:
            raise BadToken("this link is not valid") from None
        if not hmac.compare_digest(mac, self._mac(purpose, payload)):
            raise BadToken("this link is not valid")
        if data.expires < now.timestamp():
            raise BadToken("this link has expired")
        return data
