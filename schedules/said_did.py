""" "You said, we did": a lead's short answer to what staff reported, addressed to an agency, a team or a role.
Each note reaches each person it is addressed to once, attached to their next nudge (never as a message of
its own); a row in saiddidseen records that it went, with which delivery."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from schedules.models import Team
from schedules.voice_models import SaidDidNote, SaidDidSeen

ABOUT = ("barrier", "factor", "proposal")
AUDIENCES = ("agency", "team", "role")
TEXT_LIMIT = 600
FRESH_FOR = timedelta(days=90)  # someone who joins later is not sent a backlog of old notes
PER_NUDGE = 2


class NoteError(ValueError):
    """The note cannot be saved; the message names the field."""


@dataclass(frozen=True)
class Recipient:
    person_id: int
    role: str
    team_id: int | None
    agency: str


def add_note(
    session: Session,
    *,
    about_kind: str,
    about: str,
    audience_kind: str,
    audience: str,
    text: str,
    author: str,
    scope_agency: str | None,
    now: datetime,
) -> SaidDidNote:
    if about_kind not in ABOUT:
        raise NoteError(f"field 'about_kind' must be one of {', '.join(ABOUT)}")
    if not about.strip():
        raise NoteError("field 'about' is empty: name the theme, factor or proposal")
    if audience_kind not in AUDIENCES:
        raise NoteError(f"field 'audience_kind' must be one of {', '.join(AUDIENCES)}")
    if not text.strip() or len(text) > TEXT_LIMIT:
        raise NoteError(f"field 'text' must be 1 to {TEXT_LIMIT} characters")
    if audience_kind == "team":
        team = session.exec(select(Team).where(Team.name == audience)).first()
        if team is None:
            raise NoteError(f"field 'audience': no team named '{audience}'")
        if scope_agency is not None and team.agency != scope_agency:
            raise NoteError("field 'audience': that team is in another agency")
        audience = str(team.id)
    if audience_kind == "agency" and scope_agency is not None and audience != scope_agency:
        raise NoteError("field 'audience': a safeguarding lead writes to their own agency")
    note = SaidDidNote(
        about_kind=about_kind,
        about=about.strip(),
        audience_kind=audience_kind,
        audience=audience,
        scope_agency=scope_agency,
        text=" ".join(text.split()),
        author=author,
        created_at=now,
    )
    session.add(note)
    session.commit()
    return note


def addressed_to(note: SaidDidNote, who: Recipient) -> bool:
    """Pure: does this note reach this person?"""
    if note.scope_agency is not None and who.agency != note.scope_agency:
        return False
    if note.audience_kind == "agency":
        return who.agency == note.audience
    if note.audience_kind == "team":
        return who.team_id is not None and str(who.team_id) == note.audience
    return who.role == note.audience


def _fresh_notes(session: Session, now: datetime) -> list[SaidDidNote]:
    return list(session.exec(select(SaidDidNote).where(SaidDidNote.created_at >= now - FRESH_FOR).order_by(col(SaidDidNote.id))))


def pending_notes(session: Session, people: Iterable[Recipient], now: datetime) -> dict[int, list[SaidDidNote]]:
    """For each person, the recent notes addressed to them that they have not had yet (oldest first)."""
    people = list(people)
    notes = _fresh_notes(session, now)
    if not notes or not people:
        return {}
    seen = set(
        session.exec(
            select(SaidDidSeen.note_id, SaidDidSeen.person_id).where(
                col(SaidDidSeen.person_id).in_([p.person_id for p in people]), col(SaidDidSeen.note_id).in_([n.id for n in notes])
            )
        )
    )
    out: dict[int, list[SaidDidNote]] = {}
    for who in people:
        mine = [n for n in notes if (n.id, who.person_id) not in seen and addressed_to(n, who)]
        if mine:
            out[who.person_id] = mine[:PER_NUDGE]
    return out


def mark_seen(session: Session, sent: Iterable[tuple[int, int, int]], now: datetime) -> None:
    """(note id, person id, delivery id) for each note that went out with a sent nudge. A pair already
    recorded (a crashed dispatcher re-sending) is left as it is."""
    for note_id, person_id, delivery_id in sent:
        exists = session.exec(
            select(SaidDidSeen.id).where(SaidDidSeen.note_id == note_id, SaidDidSeen.person_id == person_id)
        ).first()
        if exists is None:
            session.add(SaidDidSeen(note_id=note_id, person_id=person_id, delivery_id=delivery_id, shown_at=now))


@dataclass(frozen=True)
class NoteSummary:
    id: int
    about_kind: str
    about: str
    audience_kind: str
    audience: str
    text: str
    created_at: datetime
    reached: int
    last_sent: datetime | None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "about_kind": self.about_kind,
            "about": self.about,
            "audience_kind": self.audience_kind,
            "audience": self.audience,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "reached": self.reached,
            "last_sent": self.last_sent.isoformat() if self.last_sent else None,
        }


def list_notes(session: Session, *, scope_agency: str | None = None) -> list[NoteSummary]:
    """Notes with how many people they have reached and when last sent (newest note first)."""
    query = select(SaidDidNote).order_by(col(SaidDidNote.created_at).desc(), col(SaidDidNote.id).desc())
    if scope_agency is not None:
        query = query.where(SaidDidNote.scope_agency == scope_agency)
    notes = list(session.exec(query))
    reach = {
        note_id: (n, last)
        for note_id, n, last in session.exec(
            select(SaidDidSeen.note_id, func.count(), func.max(SaidDidSeen.shown_at)).group_by(col(SaidDidSeen.note_id))
        )
    }
    teams = {str(t.id): t.name for t in session.exec(select(Team))}
    summaries = []
    for n in notes:
        assert n.id is not None  # a stored note
        summaries.append(
            NoteSummary(
                n.id,
                n.about_kind,
                n.about,
                n.audience_kind,
                teams.get(n.audience, n.audience) if n.audience_kind == "team" else n.audience,
                n.text,
                n.created_at,
                *(reach.get(n.id) or (0, None)),
            )
        )
    return summaries


def pending_for_people(session: Session, person_ids: list[int], now: datetime) -> dict[int, list[SaidDidNote]]:
    """pending_notes for these people, reading their role, team and agency."""
    from schedules.models import Person

    if not person_ids or not _fresh_notes(session, now):  # most weeks there is no note: skip reading the people
        return {}
    rows = session.exec(select(Person.id, Person.role, Person.team_id, Person.agency).where(col(Person.id).in_(person_ids)))
    return pending_notes(session, [Recipient(*row) for row in rows], now)
