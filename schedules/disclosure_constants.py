"""The constants of disclosure control (digests/disclosure.py) that the database models and the settings
need. A module of their own, so that reading them (settings validation, `lessons lint`) imports neither
the models nor the statistics."""

import secrets

RECORD_KEY_SPACE = 256  # record keys are 0..255
MIN_CELL_FLOOR = 3  # below this a "group" is a person or two: refused at start-up (bot/core/settings.py)


def new_record_key() -> int:
    """A fixed random key for one delivery; the sum of a group's keys decides how its counts are rounded."""
    return secrets.randbelow(RECORD_KEY_SPACE)


def new_record_keys(n: int) -> list[int]:
    """n keys as new_record_key() draws them, from one draw of n random bytes (a byte is uniform over 0..255,
    exactly the key space): planning writes thousands of deliveries at once."""
    assert RECORD_KEY_SPACE == 256  # else draw with randbelow, as new_record_key does
    return list(secrets.token_bytes(n))
