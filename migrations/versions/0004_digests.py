"""Schema for agenda items and statistics (issue 6).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = schedules.timeutil.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "agendarecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("theme_id", sa.String(length=60), nullable=False),
        sa.Column("lesson_id", sa.String(length=80), nullable=False),
        sa.Column("lesson_version", sa.String(length=16), nullable=False),
        sa.Column("discussed_at", UTC(), nullable=True),
        sa.Column("action_agreed", sa.String(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_agendarecord_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agendarecord")),
        sa.UniqueConstraint("team_id", "week", name=op.f("uq_agendarecord_team_id")),
    )
    op.create_index(op.f("ix_agendarecord_team_id"), "agendarecord", ["team_id"], unique=False)
    op.create_table(
        "digestsent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("sent_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digestsent")),
        sa.UniqueConstraint("kind", "recipient", "period", name=op.f("uq_digestsent_kind")),
    )
    op.create_table(
        "signinlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("used_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signinlink")),
    )
    op.create_index(op.f("ix_signinlink_person_id"), "signinlink", ["person_id"], unique=False)
    # The statistics group sent nudges by period; the rollup finds what changed by send and reply time.
    op.create_index("ix_delivery_stats", "delivery", ["kind", "status", "period"], unique=False)
    op.create_index("ix_delivery_sent_at", "delivery", ["sent_at"], unique=False)
    op.create_index("ix_reply_updated_at", "reply", ["updated_at"], unique=False)
    counts = ("people", "delivered", "replied", "checked", "correct", "answered", "changed", "already", "not_yet",
              "not_relevant", "barriers")
    op.create_table(
        "statcell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=120), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statcell")),
        sa.UniqueConstraint("grain", "dim", "key", "period", "team_id", "agency", name=op.f("uq_statcell_grain")),
    )
    op.create_index("ix_statcell_read", "statcell", ["grain", "dim", "agency", "team_id", "period"], unique=False)
    op.create_table(
        "statstate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", UTC(), nullable=False),
        sa.Column("themes_hash", sa.String(length=40), nullable=False),
        sa.Column("people_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statstate")),
    )


def downgrade() -> None:
    op.drop_table("statstate")
    op.drop_index("ix_statcell_read", table_name="statcell")
    op.drop_table("statcell")
    op.drop_index("ix_reply_updated_at", table_name="reply")
    op.drop_index("ix_delivery_sent_at", table_name="delivery")
    op.drop_index("ix_delivery_stats", table_name="delivery")
    op.drop_index(op.f("ix_signinlink_person_id"), table_name="signinlink")
    op.drop_table("signinlink")
    op.drop_table("digestsent")
    op.drop_index(op.f("ix_agendarecord_team_id"), table_name="agendarecord")
    op.drop_table("agendarecord")
