"""Record keys for disclosure control (digests/disclosure.py). A module of its own so that reading the
constant (settings validation, `lessons lint`) does not import the database models."""

import secrets

RECORD_KEY_SPACE = 256  # record keys are 0..255


def new_record_key() -> int:
    """A fixed random key for one delivery; the sum of a group's keys decides how its counts are rounded."""
    return secrets.randbelow(RECORD_KEY_SPACE)
