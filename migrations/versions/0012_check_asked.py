"""Which knowledge check a reply answered: the first check, or the second one asked on spaced reviews (issue 10).

Revision ID: 0012c
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0012c"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reply") as batch:
        batch.add_column(sa.Column("check_asked", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reply") as batch:
        batch.drop_column("check_asked")
