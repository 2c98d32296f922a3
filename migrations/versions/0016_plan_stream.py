"""Issue 16, planning and the idle tick at scale: "look now" stored as the text SQLite compares, two indexes
fewer and one partial index more.

- person.next_plan_at's server default was '1970-01-01 00:00:00', while SQLAlchemy stores a DateTime on SQLite
  as '1970-01-01 00:00:00.000000'. SQLite compares the two as text, so a row written by a bulk insert that
  relied on the default sorted before its own page's last key, and planning's keyset paging stopped after
  the first page of them. Default and such rows now use SQLAlchemy's form (PostgreSQL reads both the same).
- ix_delivery_person_id duplicated the leading column of uq_delivery_slot (person_id, kind, period), which
  serves every lookup by person: one index fewer to write for each of the million deliveries a week.
- ix_person_status indexed a column of a handful of values: it narrowed no search, SQLite chose it over
  ix_person_next_plan for "who is due" (walking every active person, every minute), and every next planning
  time written updated it too.
- ix_person_lead: a partial index of the safeguarding leads, whom the tick reads for their weekly digest
  (it walked every person each minute).
- ix_delivery_sent_at, ix_delivery_parent_id and ix_person_slack_user_id hold only the rows where the column
  is set: a planned delivery has no send time or parent, most people no Slack id, so planning's writes skip
  them; every search by value implies "not null", so both databases still use them.

Revision ID: 0016n
Revises: 0013e
"""

import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0016n"
down_revision = "0013e"
branch_labels = None
depends_on = None

PARTIAL = (("delivery", "sent_at"), ("delivery", "parent_id"), ("person", "slack_user_id"))
LOOK_NOW = "1970-01-01 00:00:00.000000"
OLD_LOOK_NOW = "1970-01-01 00:00:00"


def _default(text: str) -> None:
    with op.batch_alter_table("person", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column(
            "next_plan_at",
            existing_type=schedules.timeutil.UTCDateTime(),
            existing_nullable=False,
            server_default=sa.text(f"'{text}'"),
        )


def upgrade() -> None:
    _default(LOOK_NOW)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"UPDATE person SET next_plan_at = '{LOOK_NOW}' WHERE next_plan_at = '{OLD_LOOK_NOW}'")
    op.drop_index("ix_delivery_person_id", table_name="delivery")
    op.drop_index("ix_person_status", table_name="person")
    leads = sa.text("access = 'safeguarding_lead'")
    op.create_index("ix_person_lead", "person", ["id"], sqlite_where=leads, postgresql_where=leads)
    for table, column in PARTIAL:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_{table}_{column}", table, [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for table, column in PARTIAL:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.create_index(f"ix_{table}_{column}", table, [column])
    op.drop_index("ix_person_lead", table_name="person")
    op.create_index("ix_person_status", "person", ["status"], unique=False)
    op.create_index("ix_delivery_person_id", "delivery", ["person_id"], unique=False)
    _default(OLD_LOOK_NOW)
