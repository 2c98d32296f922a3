"""Delivery under crashes and outages (issue 15): leases with a holder and an end on every outbox-like
table (deliveries, channel posts, weekly emails), the first due time of a delivery (the retry window
counts from it), and a random per-delivery token for Message-IDs that stay unique across installations
and database resets.

Revision ID: 0006d
Revises: 0007e
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0006d"
down_revision = "0007e"
branch_labels = None
depends_on = None


def _random_token() -> str:
    """A 32-hex-digit random value per row, in each database's own SQL."""
    if op.get_bind().dialect.name == "postgresql":
        return "md5(random()::text || clock_timestamp()::text || id::text)"
    return "lower(hex(randomblob(16)))"


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("lease_until", schedules.timeutil.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("first_due_at", schedules.timeutil.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("message_token", sa.String(length=32), nullable=True))
    op.execute(f"UPDATE delivery SET first_due_at = due_at, message_token = {_random_token()}")
    op.execute("UPDATE delivery SET lease_until = claimed_at WHERE status = 'sending'")  # old claims: free at once
    with op.batch_alter_table("channelpost") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", schedules.timeutil.UTCDateTime(), nullable=True))
    op.execute("UPDATE channelpost SET lease_until = claimed_at WHERE status = 'sending'")
    with op.batch_alter_table("digestsent") as batch:
        batch.add_column(sa.Column("status", sa.String(length=12), nullable=False, server_default="sent"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_at", schedules.timeutil.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("lease_until", schedules.timeutil.UTCDateTime(), nullable=True))
        batch.alter_column("sent_at", existing_type=schedules.timeutil.UTCDateTime(), nullable=True)
    op.create_index("ix_deliveryattempt_at", "deliveryattempt", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveryattempt_at", table_name="deliveryattempt")
    with op.batch_alter_table("digestsent") as batch:
        batch.alter_column("sent_at", existing_type=schedules.timeutil.UTCDateTime(), nullable=False)
        for column in ("lease_until", "claimed_at", "claimed_by", "attempts", "status"):
            batch.drop_column(column)
    with op.batch_alter_table("channelpost") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
    with op.batch_alter_table("delivery") as batch:
        for column in ("message_token", "first_due_at", "lease_until"):
            batch.drop_column(column)
