"""Schema for Microsoft Teams (issue 5): the channel-post outbox and the team's theme-post choice.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

import schedules.timeutil

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme_posts", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "channelpost",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", schedules.timeutil.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", schedules.timeutil.UTCDateTime(), nullable=True),
        sa.Column("sent_at", schedules.timeutil.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_channelpost_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channelpost")),
        sa.UniqueConstraint("team_id", "kind", "period", name=op.f("uq_channelpost_team_id")),
    )
    with op.batch_alter_table("channelpost", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channelpost_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("channelpost", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channelpost_team_id"))
    op.drop_table("channelpost")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("theme_posts")
