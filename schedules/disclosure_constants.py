"""The constants of disclosure control (digests/disclosure.py) that the database models and the settings
need. A module of their own, so that reading them (settings validation, `lessons lint`) imports neither
the models nor the statistics."""

import secrets

RECORD_KEY_SPACE = 256  # record keys are 0..255
MIN_CELL_FLOOR = 3  # below this a "group" is a person or two: refused at start-up (bot/core/settings.py)


def new_record_key() -> int:
    """A fixed random key for one delivery; the sum of a group's keys decides how its counts are rounded."""
    return secrets.randbelow(RECORD_KEY_SPACE)
