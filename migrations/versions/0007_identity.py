"""Identity that is never reused, and newer answers win (issue 15).

- SQLite: the person and team tables get AUTOINCREMENT, so an id freed by `people forget` (or a deleted
  team) is never handed to someone else: old session cookies, unsubscribe and agenda links bound to that
  id then match nobody. PostgreSQL sequences never reuse ids already.
- reply.check_answered_at / practice_answered_at: when the stored answer was given (a Slack tap's
  action_ts, a page's POST), so a replayed older tap cannot overwrite a newer answer.

Revision ID: 0007e
Revises: 0012c
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0007e"
down_revision = "0012c"
branch_labels = None
depends_on = None

AUTOINCREMENT_TABLES = ("person", "team")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    with op.batch_alter_table("reply") as batch:
        batch.add_column(sa.Column("check_answered_at", schedules.timeutil.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("practice_answered_at", schedules.timeutil.UTCDateTime(), nullable=True))
    if _sqlite():
        for table in AUTOINCREMENT_TABLES:
            # Recreating the table copies rows with their ids, which seeds sqlite_sequence with the highest one.
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass


def downgrade() -> None:
    if _sqlite():
        for table in AUTOINCREMENT_TABLES:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
                pass
    with op.batch_alter_table("reply") as batch:
        batch.drop_column("practice_answered_at")
        batch.drop_column("check_answered_at")
