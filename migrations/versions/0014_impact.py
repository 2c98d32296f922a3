"""Impact questions at 3, 6 and 12 months (issue 17): a delivery of kind "impact" records which interval it
asks about, so each (nudge, interval) is asked once. Answers go in `followupanswer`, like follow-ups'.

Revision ID: 0014i
Revises: 0011v
"""

import sqlalchemy as sa
from alembic import op

revision = "0014i"
down_revision = "0011v"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("months", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("months")
