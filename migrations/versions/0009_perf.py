"""Schema for issue 16: each person's next planning time, indexed, so the minute tick reads who is due.

Revision ID: 0009p
Revises: 0010l
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0009p"
down_revision = "0010l"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        # everyone starts "due now" (the server default stays, for bulk loads that do not name the column):
        # the first tick after the upgrade plans as before and sets the real times
        batch_op.add_column(sa.Column("next_plan_at", schedules.timeutil.UTCDateTime(), nullable=False,
                                      server_default=sa.text("'1970-01-01 00:00:00'")))
        batch_op.create_index("ix_person_next_plan", ["next_plan_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_index("ix_person_next_plan")
        batch_op.drop_column("next_plan_at")
