"""Small builders shared by tests."""

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from bot.core.clock import utcnow
from lesson_bank.taxonomy import load_taxonomy
from schedules.roster import Problems, RosterRow, parse_roster
from schedules.roster_import import import_rows

HEADER = "email,name,role,team,agency,timezone,nudge_day,nudge_time\n"


def add_people(engine, csv_rows: list[str]) -> None:
    rows, problems = parse_roster(HEADER + "\n".join(csv_rows) + "\n", "test.csv", set(load_taxonomy().roles))
    assert not problems, [str(p) for p in problems]
    with Session(engine) as session:
        upsert_roster(session, rows, now=utcnow())
        session.commit()


def upsert_roster(session: Session, rows: Iterable[RosterRow], *, now: datetime) -> tuple[int, int]:
    """Checked rows written as `people import` writes them (email the default channel); the caller commits."""
    return import_rows(session, rows, path="test.csv", problems=Problems(), default_channel="email", now=now)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def answer_directly(engine, nudge, *, practice: str, at) -> None:
    """A reply written straight to its table, not through the reply path (as another replica's, or an answer
    given long ago): `at` is when it was given."""
    from schedules.models import Reply

    with Session(engine) as session:
        session.add(
            Reply(
                delivery_id=nudge.id,
                person_id=nudge.person_id,
                lesson_id=nudge.lesson_id,
                lesson_version=nudge.lesson_version,
                practice=practice,
                created_at=at,
                updated_at=at,
            )
        )
        session.commit()


def wait_until_serving(base: str, *, tries: int = 150) -> None:
    """Until a `lessonloop serve` at `base` says it is healthy (each try waits up to a second, then 0.2 s)."""
    import time

    import httpx

    for _ in range(tries):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).json()["status"] == "ok":
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


def returned_lengths(monkeypatch, module, name: str) -> list[int]:
    """Wrap `module.name` (a query function) for the test: each call's result length is appended to the list
    returned, so a test can say how many rows a tick read."""
    lengths: list[int] = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        found = real(*args, **kwargs)
        lengths.append(len(found))
        return found

    monkeypatch.setattr(module, name, counted)
    return lengths
