"""Schema for privacy, retention and audit (issue 7).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auditevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", schedules.timeutil.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditevent")),
    )
    op.create_index(op.f("ix_auditevent_at"), "auditevent", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_auditevent_at"), table_name="auditevent")
    op.drop_table("auditevent")
