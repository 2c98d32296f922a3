"""Disclosure control (issue 14): a fixed random record key on every delivery, and the rollup's key sums.

Revision ID: 0008s
Revises: 0006d
"""
import sqlalchemy as sa
from alembic import op

revision = "0008s"
down_revision = "0006d"
branch_labels = None
depends_on = None

KEYED = ("delivered", "replied", "checked", "correct", "answered", "changed", "already", "not_yet", "not_relevant",
         "barriers")


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("record_key", sa.Integer(), nullable=False, server_default="0"))
    # Existing rows get their random key here; new rows get one from the application on insert.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE delivery SET record_key = floor(random() * 256)::int")
    else:
        op.execute("UPDATE delivery SET record_key = abs(random()) % 256")
    with op.batch_alter_table("statcell") as batch:
        for name in KEYED:
            batch.add_column(sa.Column(f"k_{name}", sa.Integer(), nullable=False, server_default="0"))
    # The rollup has no key sums yet: make the next refresh recompute everything.
    op.execute("DELETE FROM statstate")


def downgrade() -> None:
    with op.batch_alter_table("statcell") as batch:
        for name in KEYED:
            batch.drop_column(f"k_{name}")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("record_key")
