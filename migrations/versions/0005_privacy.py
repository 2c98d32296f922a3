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
    op.create_table(
        "replytally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("lesson_id", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=120), nullable=False),
        sa.Column("practice", sa.String(length=16), nullable=False),
        sa.Column("check", sa.String(length=5), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replytally")),
        sa.UniqueConstraint("week", "lesson_id", "role", "team_id", "agency", "practice", "check", name="uq_replytally_cell"),
    )


def downgrade() -> None:
    op.drop_table("replytally")
    op.drop_index(op.f("ix_auditevent_at"), table_name="auditevent")
    op.drop_table("auditevent")
