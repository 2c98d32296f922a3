"""A staged roll-out (issue 13, part 5): each team's wave and when it starts.

Revision ID: 0013e
Revises: 0011v
"""

import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0013e"
down_revision = "0015s"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rolloutwave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=120), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("themes", sa.String(length=2000), nullable=False),
        sa.Column("assigned_at", schedules.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_rolloutwave_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rolloutwave")),
        sa.UniqueConstraint("team_id", name=op.f("uq_rolloutwave_team_id")),
    )


def downgrade() -> None:
    op.drop_table("rolloutwave")
