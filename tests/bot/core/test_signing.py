"""Signed links: the MAC is HMAC-SHA256 of "purpose:payload" (links signed before stay valid)."""

import base64
import hmac
from datetime import datetime, timezone

import pytest

from bot.core.signing import BadToken, Signer

EXPIRES = datetime(2027, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("key", [b"k", b"test-secret-key" * 4, b"x" * 64, b"y" * 65, bytes(range(256))])
def test_tokens_carry_the_rfc_2104_hmac_of_purpose_and_payload(key):
    signer = Signer(key)
    for purpose in ("reply", "unsubscribe", "reply"):  # a purpose again: its keyed hash is reused, not changed
        token = signer.sign(purpose, 12345, EXPIRES)
        payload, mac = token.rsplit(".", 1)
        expected = base64.urlsafe_b64encode(hmac.digest(key, f"{purpose}:{payload}".encode(), "sha256")[:18])
        assert mac == expected.rstrip(b"=").decode()
        assert signer.verify(purpose, token, EXPIRES.replace(year=2026)).subject_id == 12345


def test_a_token_is_bound_to_its_purpose():
    signer = Signer(b"test-secret-key")
    with pytest.raises(BadToken):
        signer.verify("unsubscribe", signer.sign("reply", 1, EXPIRES), EXPIRES.replace(year=2026))
