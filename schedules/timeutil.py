"""UTC inside, local time only at the edge."""

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def naive_utc(moment: datetime | None) -> datetime | None:
    """A moment as both databases store it (UTCDateTime): naive UTC."""
    return None if moment is None else as_utc(moment).replace(tzinfo=None)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC (SQLite and PostgreSQL alike) and always hands back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return naive_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)
