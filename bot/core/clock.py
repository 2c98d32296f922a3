"""The one clock: aware UTC. Pure code takes `now` as an argument; only the edges call this."""

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
