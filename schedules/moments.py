"""Practice moments: an anonymous log of something that nearly went wrong or went well, tagged with
contributing factors. Stored without a person id; counted by factor, theme and period."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from schedules.models import Person
from schedules.disclosure_constants import RECORD_KEY_SPACE
from schedules.slots import week_key
from schedules.statistics import Piece
from schedules.windows import month_of_week
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


def _values(row: PracticeMoment, dim: str) -> list[str]:
    """A moment's values in a dimension: every factor it names ("none" if none, so every writer is under
    at least one value, as pooled_keys assumes), or its one theme or outcome; "" for "base"."""
    if dim == "base":
        return [""]
    if dim == "factor":
        return [f for f in row.factors.split(",") if f] or ["none"]
    return [getattr(row, dim) or "none"]


def moment_pieces(rows: list[PracticeMoment], *, dim: str) -> list[Piece]:
    """Pure: the raw pieces of the moment figures, one team (within one agency) in one calendar month,
    split by `dim` ("base", "factor", "theme" or "outcome"). Moments carry no person and no delivery, so
    a piece's people are its distinct writers (by keyed hash) and its period a month: with at most a few
    moments a person, a team's week would almost never hold min_cell writers. A moment counts once under
    each of its factors."""
    cells: dict[tuple[int, str, str, str], list[PracticeMoment]] = {}
    for row in rows:
        for value in _values(row, dim):
            cells.setdefault((row.team_id or 0, row.agency or "", month_of_week(row.period), value), []).append(row)
    out = []
    for (team_id, agency, month, value), members in sorted(cells.items()):
        keys = sum(map(record_key, members))
        writers = len({m.writer for m in members})
        out.append(Piece(team_id, "", agency, month, value, writers, {"moments": len(members)}, {"moments": keys}))
    return out


def moment_samples(rows: list[PracticeMoment], *, dim: str, named: set[tuple[int, str, str, str]]) -> list[tuple[str, str, str]]:
    """(value, writer hash: only counted, text) for excerpts under digests.barriers' k-writer rule, from
    moments in `named` pieces only ((team id, agency, month, value) counted under their own value): a
    writer pooled into "other" is never quoted under their value."""
    return [
        (value, row.writer, f"{row.what_happened} {row.what_helped}".strip())
        for row in rows
        for value in _values(row, dim)
        if (row.team_id or 0, row.agency or "", month_of_week(row.period), value) in named
    ]
