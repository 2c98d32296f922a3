"""Closing the loop (issue 13): a per-person reminder switch, a delivery's parent nudge, follow-up answers.

Revision ID: 0010l
Revises: 0008s
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0010l"
down_revision = "0008s"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_delivery_parent_id"), ["parent_id"], unique=False)
    op.create_table(
        "followupanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("lesson_id", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("barrier", sa.String(), nullable=True),
        sa.Column("created_at", schedules.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", schedules.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], name=op.f("fk_followupanswer_delivery_id_delivery")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_followupanswer_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followupanswer")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_followupanswer_delivery_id")),
    )
    op.create_index(op.f("ix_followupanswer_person_id"), "followupanswer", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_followupanswer_person_id"), table_name="followupanswer")
    op.drop_table("followupanswer")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_index(op.f("ix_delivery_parent_id"))
        batch.drop_column("parent_id")
    with op.batch_alter_table("person", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("reminders")
