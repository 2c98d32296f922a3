"""Supervision, with consent (issue 17 part 5): a person's supervisor from the roster, and the shares of
their own learning record they made (what period, how it was delivered, when it expires or was revoked).

Revision ID: 0015s
Revises: 0011v
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0015s"
down_revision = "0014i"
branch_labels = None
depends_on = None

UTC = schedules.timeutil.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("person", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("supervisor_email", sa.String(length=254), nullable=True))
    op.create_table(
        "supervisionshare",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("delivered", sa.String(length=8), nullable=False),
        sa.Column("sent_to", sa.String(length=254), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_supervisionshare_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisionshare")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_supervisionshare_person_id"), "supervisionshare", ["person_id"])


def downgrade() -> None:
    op.drop_table("supervisionshare")
    with op.batch_alter_table("person", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("supervisor_email")
