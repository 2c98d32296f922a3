"""Tables for frontline voice (issue 17): lesson proposals, practice moments and "you said, we did" notes.

Kept apart from schedules/models.py so parallel branches do not edit the same block; the tables share its
metadata (and its naming convention), so Alembic and the app see one schema."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

import schedules.models  # noqa: F401  (the naming convention is set there, before these tables are declared)
from schedules.timeutil import UTCDateTime


class LessonProposal(SQLModel, table=True):
    """A lesson proposed by a practitioner. Text is stored redacted. `person_id` is used only to tell the
    proposer when their lesson is published (no foreign key: forgetting a person is never blocked; it is
    cleared then). Leads see `credit_name` only when the proposer asked to be credited."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, index=True)
    agency: str = Field(default="", max_length=120)  # which safeguarding lead's queue it lands in
    what_happened: str
    learned: str
    roles: str = Field(default="", max_length=1000)  # role ids, comma separated
    credit: bool = False
    credit_name: str | None = Field(default=None, max_length=200)
    status: str = Field(default="new", max_length=12, index=True)  # new | accepted | declined
    lesson_id: str | None = Field(default=None, max_length=80)  # the draft written on acceptance
    reviewed_by: str | None = Field(default=None, max_length=254)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class PracticeMoment(SQLModel, table=True):
    """An anonymous practice moment: no person id. `writer` is a keyed hash of the writer, used only to
    count distinct people for suppression (as barrier excerpts are), never shown."""

    id: int | None = Field(default=None, primary_key=True)
    outcome: str = Field(max_length=12)  # near_miss | went_well
    what_happened: str
    what_helped: str = ""
    factors: str = Field(default="", max_length=400)  # contributing-factor ids, comma separated
    theme: str | None = Field(default=None, max_length=60)
    role: str = Field(default="", max_length=60)
    team_id: int | None = Field(default=None, index=True)
    agency: str = Field(default="", max_length=120)
    period: str = Field(max_length=8, index=True)  # ISO week written, e.g. 2026-W48
    writer: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SaidDidNote(SQLModel, table=True):
    """A lead's "you said, we did" answer, addressed to an agency, a team or a role."""

    id: int | None = Field(default=None, primary_key=True)
    about_kind: str = Field(max_length=12)  # barrier | factor | proposal
    about: str = Field(max_length=80)  # theme id, factor id or proposal id
    audience_kind: str = Field(max_length=8)  # agency | team | role
    audience: str = Field(max_length=120)
    scope_agency: str | None = Field(default=None, max_length=120)  # a safeguarding lead's note reaches their agency only
    text: str
    author: str = Field(max_length=254)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SaidDidSeen(SQLModel, table=True):
    """A note that went out to one person, with which delivery or agenda item: written when it was
    attached, so it reaches each person once."""

    __table_args__ = (UniqueConstraint("note_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="saiddidnote.id", index=True)
    person_id: int = Field(index=True)
    delivery_id: int | None = None
    shown_at: datetime = Field(sa_type=UTCDateTime)
