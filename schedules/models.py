"""The tables. The database is the single source of truth: due times, the outbox, replies."""

from datetime import date, datetime
from enum import StrEnum
from uuid import uuid4

from datetime import timezone

from sqlalchemy import Index, UniqueConstraint, event, inspect, text
from sqlmodel import Field, SQLModel, col

from schedules.disclosure_constants import new_record_key
from schedules.timeutil import UTCDateTime

PLAN_NOW = datetime(1970, 1, 1, tzinfo=timezone.utc)  # Person.next_plan_at: due for planning at once

# Named constraints, so later migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class PersonStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    LEFT = "left"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # could not go out before its week ended (a relay outage, or the service was down)


class Practice(StrEnum):
    CHANGED = "changed"
    ALREADY = "already"
    NOT_YET = "not_yet"
    NOT_RELEVANT = "not_relevant"


class Team(SQLModel, table=True):
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused: agenda links name a team by id
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    agency: str = Field(default="", max_length=120)
    meeting_day: int = 2  # Wednesday (Monday = 0)
    meeting_time: str = Field(default="10:00", max_length=5)
    timezone: str = Field(default="Europe/London", max_length=64)
    webhook_url: str | None = None  # Teams Workflows webhook for channel posts
    theme_posts: bool = False  # also post a short "this week's theme" to the webhook (issue 5)
    lead_person_id: int | None = None  # a person id; no foreign key, which would make person <-> team a cycle


class Person(SQLModel, table=True):
    # Ids are never reused after `people forget`: cookies and links signed for an id must match nobody new.
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=60)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    agency: str = Field(default="", max_length=120)
    timezone: str = Field(default="Europe/London", max_length=64)
    nudge_day: int = 1  # Monday = 0
    nudge_time: str = Field(default="10:00", max_length=5)
    channel: str = Field(default="email", max_length=10)
    access: str = Field(default="member", max_length=20)
    # no index: a handful of values, so it never narrowed a search, and SQLite preferred it to the planning
    # index (next_plan_at, id), walking every active person each minute (migration 0016n)
    status: str = Field(default=PersonStatus.ACTIVE, max_length=16)
    paused_until: date | None = None
    slack_user_id: str | None = Field(default=None, max_length=32)
    slack_channel_id: str | None = Field(default=None, max_length=32)  # their DM channel with the bot
    teams_user_id: str | None = Field(default=None, max_length=64)  # AAD object id
    teams_conversation_json: str | None = None  # Bot Framework conversation reference
    created_at: datetime = Field(sa_type=UTCDateTime)
    reminders: bool = True  # one reminder for an unanswered nudge (issue 13); their own off switch
    # Who they may share their own learning record with in one click (issue 17, roster column); never used
    # for anything else, and nobody is told it unless the person shares.
    supervisor_email: str | None = Field(default=None, max_length=254)
    # When planning next needs to look at this person (their next weekly slot, the end of a pause, a card
    # falling due): the minute tick reads only people whose time has come, not everyone (issue 16).
    # PLAN_NOW ("look now") whenever what decides their slot changes (see _replan_when_slot_changes).
    # Defaults at every level, so bulk inserts and COPY that do not name it still mean "look now".
    next_plan_at: datetime = Field(
        default=PLAN_NOW,
        sa_type=UTCDateTime,
        # the text SQLAlchemy stores on SQLite, so the default compares with stored times there (migration 0016n)
        sa_column_kwargs={"default": PLAN_NOW, "server_default": text("'1970-01-01 00:00:00.000000'")},
    )


class SpacingCard(SQLModel, table=True):
    """One fsrs card per person and lesson, created by their first reply to it."""

    __table_args__ = (UniqueConstraint("person_id", "lesson_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    lesson_id: str = Field(max_length=80)
    card_json: str
    due_at: datetime = Field(sa_type=UTCDateTime)
    last_review_at: datetime = Field(sa_type=UTCDateTime)
    retired: bool = False
    last_delivery_id: int | None = None


class Delivery(SQLModel, table=True):
    """The outbox: one row per nudge, written before any send, updated after each attempt."""

    __table_args__ = (
        UniqueConstraint("person_id", "kind", "period", name="uq_delivery_slot"),
        Index("ix_delivery_due", "status", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # no index of its own: uq_delivery_slot (person_id, kind, period) serves lookups by person (migration 0016n)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    kind: str = Field(default="nudge", max_length=20)
    period: str = Field(max_length=16)  # the local ISO week of the slot, e.g. 2026-W48
    lesson_id: str = Field(max_length=80, index=True)
    lesson_version: str = Field(max_length=16)
    is_review: bool = False
    # Who it went to, as a group: kept when a person is forgotten, so anonymous statistics stay true.
    role: str = Field(default="", max_length=60)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    agency: str = Field(default="", max_length=120)
    channel: str = Field(default="email", max_length=10)
    external_ref: str | None = None  # the chat message id (Slack ts, Teams activity id) to update after a reply
    status: str = Field(default=DeliveryStatus.PENDING, max_length=12)
    due_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a claim lives until then unless renewed
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    fallback_reason: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    first_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # retries are counted from here
    # Random, so a Message-ID never repeats across installations or a database reset; stored, so every
    # attempt of one delivery carries the same Message-ID and receivers can drop a crash duplicate.
    message_token: str | None = Field(default_factory=lambda: uuid4().hex, max_length=32)
    # Secret and fixed: set by SQLAlchemy on every insert (ORM or Core), never shown anywhere.
    record_key: int = Field(default_factory=new_record_key, sa_column_kwargs={"default": new_record_key})
    # A reminder or follow-up (issue 13): the nudge it is about. Its answers go to that nudge's reply.
    parent_id: int | None = Field(default=None)  # indexed where set: ix_delivery_parent_id, below
    # An impact question (issue 17): how many months after the answer it asks; one per (nudge, interval).
    months: int | None = None


class DeliveryAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    channel: str = Field(max_length=10)
    outcome: str = Field(max_length=10)  # sent | retry | failed
    detail: str | None = None


class Reply(SQLModel, table=True):
    """At most one reply per delivery: a second answer updates it."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    lesson_id: str = Field(max_length=80, index=True)
    lesson_version: str = Field(max_length=16)
    check_answer: int | None = None
    check_correct: bool | None = None
    check_asked: str | None = Field(default=None, max_length=8)  # "first" or "review": which check was answered
    practice: str | None = Field(default=None, max_length=16)
    reflection: str | None = None
    rating: int | None = None
    card_before_json: str | None = None  # lets a changed answer re-rate from the same starting point
    # When the stored answers were given (a Slack tap's own timestamp): an older, replayed answer never wins.
    check_answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    practice_answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class LessonVersion(SQLModel, table=True):
    """Each version of a lesson that was ever planned, so history renders and scores as it was sent."""

    __table_args__ = (UniqueConstraint("lesson_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    lesson_id: str = Field(max_length=80)
    version: str = Field(max_length=16)
    content_json: str
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Every admin action and dashboard sign-in: who, what, when. Viewable by admins."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=254)  # an email, or "cli" / "system"
    action: str = Field(max_length=60)
    detail: str = ""


class ReplyTally(SQLModel, table=True):
    """Anonymous counts kept when old replies are deleted under the retention period."""

    __table_args__ = (
        UniqueConstraint("week", "lesson_id", "role", "team_id", "agency", "practice", "check", name="uq_replytally_cell"),
    )
    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=8)  # ISO week the reply was made, e.g. 2026-W48
    lesson_id: str = Field(max_length=80)
    role: str = Field(default="", max_length=60)
    team_id: int = 0  # 0: no team
    agency: str = Field(default="", max_length=120)
    practice: str = Field(default="", max_length=16)  # "" when not answered
    check: str = Field(default="", max_length=5)  # right | wrong | ""
    count: int = 0


class ChannelPost(SQLModel, table=True):
    """One post to a team's channel (Teams Workflows webhook) per team, kind and week: written before the
    send, claimed with a conditional UPDATE, so two replicas never post the same item twice."""

    __table_args__ = (UniqueConstraint("team_id", "kind", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    kind: str = Field(max_length=16)  # agenda | theme
    period: str = Field(max_length=16)  # the team's local ISO week
    status: str = Field(default="pending", max_length=12)  # pending | sending | retry | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None


class AgendaRecord(SQLModel, table=True):
    """One team's agenda item for one week: the theme and lesson chosen (so every pull shows the same item),
    and whether the team discussed it and which action it agreed."""

    __table_args__ = (UniqueConstraint("team_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    week: str = Field(max_length=10)
    theme_id: str = Field(max_length=60)
    lesson_id: str = Field(max_length=80)
    lesson_version: str = Field(max_length=16)
    discussed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    action_agreed: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class DigestSent(SQLModel, table=True):
    """A weekly email sent once: a team's agenda to its lead, or the statistics digest to a safeguarding lead."""

    __table_args__ = (UniqueConstraint("kind", "recipient", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # agenda | lead_digest
    recipient: str = Field(max_length=40)  # a team id or a person id, as text
    period: str = Field(max_length=10)
    status: str = Field(default="pending", max_length=12)  # pending | sending | sent (claimed through schedules.leases)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInLink(SQLModel, table=True):
    """A dashboard sign-in link: short-lived and single use. No foreign key, so forgetting a person is never blocked."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class StatCell(SQLModel, table=True):
    """The statistics rollup: counts of sent nudges and replies per week, scope and one dimension value.

    grain "team" cells hold one team (for team leads and the by-team table); grain "agency" cells add up
    an agency's teams (for safeguarding leads and admins). dim is "base" (week, team, agency), "role" or
    "theme". `people` is the number of distinct people in the cell."""

    __table_args__ = (UniqueConstraint("grain", "dim", "key", "period", "team_id", "agency"),)
    id: int | None = Field(default=None, primary_key=True)
    grain: str = Field(max_length=8)
    dim: str = Field(max_length=8)
    key: str = Field(max_length=80)
    period: str = Field(max_length=16)
    team_id: int = 0
    agency: str = Field(default="", max_length=120)
    people: int = 0
    delivered: int = 0
    replied: int = 0
    checked: int = 0
    correct: int = 0
    answered: int = 0
    changed: int = 0
    already: int = 0
    not_yet: int = 0
    not_relevant: int = 0
    barriers: int = 0
    # Sums of the record keys of the deliveries behind each count (digests/disclosure.py): the cell keys.
    k_delivered: int = 0
    k_replied: int = 0
    k_checked: int = 0
    k_correct: int = 0
    k_answered: int = 0
    k_changed: int = 0
    k_already: int = 0
    k_not_yet: int = 0
    k_not_relevant: int = 0
    k_barriers: int = 0


class StatState(SQLModel, table=True):
    """When the rollup was last brought up to date, and from which lesson-to-theme map."""

    id: int | None = Field(default=None, primary_key=True)
    refreshed_at: datetime = Field(sa_type=UTCDateTime)
    themes_hash: str = Field(max_length=40)
    people_at: datetime = Field(sa_type=UTCDateTime)  # when the all-time people counts were last taken


def _where_set(column: str) -> dict:
    return {f"{dialect}_where": text(f"{column} IS NOT NULL") for dialect in ("sqlite", "postgresql")}


# The statistics group sent nudges by period (declared here, at the end, to keep Delivery's own block unchanged).
Index("ix_delivery_stats", col(Delivery.kind), col(Delivery.status), col(Delivery.period))
Index("ix_reply_updated_at", col(Reply.updated_at))
# Partial indexes (issue 16, 0016n) for columns that stay empty on most rows: a planned delivery has no parent
# and no send time yet, most people no Slack id, so writing those rows (a million a week) touches none of
# them. A search by value (=, <, >=, IN, a join) implies "not null", so both databases still use them.
Index("ix_delivery_sent_at", col(Delivery.sent_at), **_where_set("sent_at"))
Index("ix_delivery_parent_id", col(Delivery.parent_id), **_where_set("parent_id"))
Index("ix_deliveryattempt_at", col(DeliveryAttempt.at))  # the relay's health: failures since the last success
Index(
    "ix_statcell_read", col(StatCell.grain), col(StatCell.dim), col(StatCell.agency), col(StatCell.team_id), col(StatCell.period)
)
Index("ix_statcell_period", col(StatCell.period))  # a refresh's weeks (schedules/rollup.py _apply)
# Slack (issue 4): taps, the Home tab and the slash command find the person by their Slack user id.
Index("ix_person_slack_user_id", col(Person.slack_user_id), **_where_set("slack_user_id"))


class FollowUpAnswer(SQLModel, table=True):
    """The answer to a follow-up ("did you try it?", issue 13) or an impact question ("has it made a difference?",
    issue 17: the delivery's kind says which), kept apart from the first reply to the nudge. At most one per
    delivery: a second answer updates it. `barrier` (the optional line) is stored redacted."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    lesson_id: str = Field(max_length=80)
    outcome: str | None = Field(default=None, max_length=16)  # followup: helped | not_fit | ...; impact: a_lot | ...
    barrier: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


# The tick plans only people whose next_plan_at has come (issue 16).
Index("ix_person_next_plan", col(Person.next_plan_at), col(Person.id))
# The tick looks for safeguarding leads due a weekly digest: a partial index holds only them (a handful), so
# the search is not a walk over everyone, and writing anyone else's next planning time never touches it.
LEADS = text("access = 'safeguarding_lead'")
Index("ix_person_lead", col(Person.id), sqlite_where=LEADS, postgresql_where=LEADS)
SLOT_FIELDS = ("timezone", "nudge_day", "nudge_time", "status", "paused_until", "role")


@event.listens_for(Person, "before_update")
def _replan_when_slot_changes(_mapper, _connection, person: Person) -> None:
    """Any change to when or whether a person is nudged (a new time, a pause ending early, a resume) makes
    planning look at them again on the next tick, as it did when every tick read everyone."""
    state = inspect(person)
    if any(state.attrs[name].history.has_changes() for name in SLOT_FIELDS):
        person.next_plan_at = PLAN_NOW


class RolloutWave(SQLModel, table=True):
    """A team's place in a staged roll-out (issue 13, part 5): which wave, when it starts, and the plan it
    came from (the seed, the step length and the themes measured are the same on every row of one plan).
    A team with no row is not in an evaluation and is planned as usual."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", unique=True)
    agency: str = Field(default="", max_length=120)
    wave: int  # 1-based
    starts_on: date
    every_weeks: int
    seed: int
    themes: str = Field(default="", max_length=2000)  # the theme ids measured, comma-separated, in plan order
    assigned_at: datetime = Field(sa_type=UTCDateTime)
