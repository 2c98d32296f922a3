"""The rollup's cells by week (issue 16): a refresh writes only the cells of its weeks that changed, and finds the
cells of those weeks through this index instead of reading the whole table (156 ms at 1,000,000 replies).

Revision ID: 0016k
Revises: 0016n
"""

from alembic import op

revision = "0016k"
down_revision = "0016n"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_statcell_period", "statcell", ["period"])


def downgrade() -> None:
    op.drop_index("ix_statcell_period", table_name="statcell")
