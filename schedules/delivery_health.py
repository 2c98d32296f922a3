"""How email delivery is going, from the outbox itself (so every replica and the CLI see the same):
the last message the relay accepted, the failed attempts since then, and the oldest message still
waiting. Shown by `/healthz`, `lessonloop status` and the dispatcher's warning."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus

FAILING_AFTER = 3  # failed attempts in a row with no success in between
STALE_AFTER = timedelta(minutes=15)  # a due message waiting this long means delivery is behind


@dataclass(frozen=True)
class RelayHealth:
    last_success: datetime | None
    consecutive_failures: int
    last_error: str | None
    oldest_due: datetime | None  # the earliest due time among messages still waiting to go out
    waiting: int

    def state(self, now: datetime) -> str:
        """ok, failing (the relay refuses or cannot be reached) or behind (due mail is waiting too long)."""
        if self.consecutive_failures >= FAILING_AFTER:
            return "failing"
        if self.oldest_due is not None and now - self.oldest_due > STALE_AFTER:
            return "behind"
        return "ok"

    def as_dict(self, now: datetime, *, with_error: bool = False) -> dict:
        """For /healthz (no error text: it can name a recipient) and, with the error, for admins."""
        data = {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in asdict(self).items()
            if with_error or k != "last_error"
        }
        return {"state": self.state(now), **data}


def relay_health(session: Session, *, now: datetime, channel: str = "email") -> RelayHealth:
    last_success = session.exec(
        select(func.max(DeliveryAttempt.at)).where(DeliveryAttempt.channel == channel, DeliveryAttempt.outcome == "sent")
    ).one()
    failures = select(DeliveryAttempt.at, DeliveryAttempt.detail).where(
        DeliveryAttempt.channel == channel, col(DeliveryAttempt.outcome).in_(("retry", "failed", "expired"))
    )
    if last_success is not None:
        failures = failures.where(col(DeliveryAttempt.at) > last_success)
    count = session.exec(select(func.count()).select_from(failures.subquery())).one()
    last_error = session.exec(failures.order_by(col(DeliveryAttempt.at).desc()).limit(1)).first() if count else None
    first_due = func.coalesce(Delivery.first_due_at, Delivery.due_at)  # a retry waiting for its next try still waits
    waiting = (col(Delivery.status).in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)), first_due <= now)
    oldest, number = session.exec(select(func.min(first_due), func.count()).where(*waiting)).one()
    return RelayHealth(last_success, count, last_error[1] if last_error else None, oldest, number)
