"""Practice moments: an anonymous log of something that nearly went wrong or went well, tagged with
contributing factors. Stored without a person id; counted by factor, theme and period."""

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from schedules.models import Person
from schedules.disclosure_constants import RECORD_KEY_SPACE
from schedules.slots import week_key
from schedules.voice_models import PracticeMoment

OUTCOMES = {"near_miss": "Nearly went wrong", "went_well": "Went well"}
LIMIT = 2000


class MomentError(ValueError):
    """The moment cannot be saved; the message names the field."""


@dataclass(frozen=True)
class MomentText:
    outcome: str
    what_happened: str
    what_helped: str = ""
    factors: tuple[str, ...] = ()
    theme: str | None = None


def check_fields(text: MomentText, *, factors: dict, themes: dict) -> None:
    if text.outcome not in OUTCOMES:
        raise MomentError(f"field 'outcome' must be one of {', '.join(OUTCOMES)}")
    if not text.what_happened.strip():
        raise MomentError("field 'what_happened' is empty: write a few words")
    for name in ("what_happened", "what_helped"):
        if len(getattr(text, name)) > LIMIT:
            raise MomentError(f"field '{name}' is longer than {LIMIT} characters")
    unknown = [f for f in text.factors if f not in factors]
    if unknown:
        raise MomentError(f"field 'factors': unknown factor '{unknown[0]}'")
    if text.theme and text.theme not in themes:
        raise MomentError(f"field 'theme': unknown theme '{text.theme}'")


def writer_key(secret: bytes, person_id: int) -> str:
    """Counts distinct writers for suppression without storing who wrote what."""
    return hmac.new(secret, f"moment-writer:{person_id}".encode(), hashlib.sha256).hexdigest()[:32]


def add_moment(session: Session, *, person: Person, text: MomentText, secret: bytes, now: datetime) -> PracticeMoment:
    assert person.id is not None  # a stored person
    moment = PracticeMoment(
        outcome=text.outcome,
        what_happened=text.what_happened.strip(),
        what_helped=text.what_helped.strip(),
        factors=",".join(dict.fromkeys(text.factors)),
        theme=text.theme or None,
        role=person.role,
        team_id=person.team_id,
        agency=person.agency,
        period=week_key(now.date()),
        writer=writer_key(secret, person.id),
        created_at=now,
    )
    session.add(moment)
    session.commit()
    return moment


@dataclass(frozen=True)
class MomentCounts:
    """Per key (a factor, theme or period): moments, distinct writers, and recent texts for excerpts."""

    moments: dict[str, int]
    people: dict[str, int]
    samples: list[tuple[str, str, str]]  # (key, writer hash: only counted, text)
    key_sums: dict[str, int] = field(default_factory=dict)  # per key, the sum of its moments' record keys


def record_key(moment: PracticeMoment) -> int:
    """A moment's fixed record key for disclosure control (digests/disclosure.py): derived from the writer's
    keyed hash, which leads never see, and the moment's id, so the same moment always weighs the same."""
    digest = hashlib.blake2b(f"{moment.writer}:{moment.id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % RECORD_KEY_SPACE


def moment_rows(
    session: Session, *, agency: str | None = None, team_id: int | None = None, start: str | None = None, end: str | None = None
) -> list[PracticeMoment]:
    query = select(PracticeMoment)
    if agency is not None:
        query = query.where(PracticeMoment.agency == agency)
    if team_id is not None:
        query = query.where(PracticeMoment.team_id == team_id)
    if start:
        query = query.where(PracticeMoment.period >= start)
    if end:
        query = query.where(PracticeMoment.period <= end)
    return list(session.exec(query))


def count_by(rows: list[PracticeMoment], by: str) -> MomentCounts:
    """Pure: group rows by 'factor' (a moment counts once under each of its factors), 'theme', 'outcome' or 'period'."""
    moments: Counter[str] = Counter()
    key_sums: Counter[str] = Counter()
    writers: dict[str, set[str]] = {}
    samples: list[tuple[str, str, str]] = []
    for row in rows:
        if by == "factor":
            keys = [f for f in row.factors.split(",") if f]
        else:
            keys = [getattr(row, by) or "none"]
        for key in keys:
            moments[key] += 1
            key_sums[key] += record_key(row)
            writers.setdefault(key, set()).add(row.writer)
            samples.append((key, row.writer, f"{row.what_happened} {row.what_helped}".strip()))
    return MomentCounts(dict(moments), {k: len(v) for k, v in writers.items()}, samples, dict(key_sums))
