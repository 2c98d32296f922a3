"""Frontline voice (issue 17): lesson proposals, practice moments, "you said, we did" notes.

Revision ID: 0011v
Revises: 0009p
"""
import sqlalchemy as sa
from alembic import op

import schedules.timeutil

revision = "0011v"
down_revision = "0009p"
branch_labels = None
depends_on = None

UTC = schedules.timeutil.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "lessonproposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("agency", sa.String(length=120), nullable=False),
        sa.Column("what_happened", sa.String(), nullable=False),
        sa.Column("learned", sa.String(), nullable=False),
        sa.Column("roles", sa.String(length=1000), nullable=False),
        sa.Column("credit", sa.Boolean(), nullable=False),
        sa.Column("credit_name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("lesson_id", sa.String(length=80), nullable=True),
        sa.Column("reviewed_by", sa.String(length=254), nullable=True),
        sa.Column("reviewed_at", UTC(), nullable=True),
        sa.Column("published_notice_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessonproposal")),
    )
    op.create_index(op.f("ix_lessonproposal_person_id"), "lessonproposal", ["person_id"])
    op.create_index(op.f("ix_lessonproposal_status"), "lessonproposal", ["status"])
    op.create_table(
        "practicemoment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("what_happened", sa.String(), nullable=False),
        sa.Column("what_helped", sa.String(), nullable=False),
        sa.Column("factors", sa.String(length=400), nullable=False),
        sa.Column("theme", sa.String(length=60), nullable=True),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agency", sa.String(length=120), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("writer", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practicemoment")),
    )
    op.create_index(op.f("ix_practicemoment_team_id"), "practicemoment", ["team_id"])
    op.create_index(op.f("ix_practicemoment_period"), "practicemoment", ["period"])
    op.create_table(
        "saiddidnote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("about_kind", sa.String(length=12), nullable=False),
        sa.Column("about", sa.String(length=80), nullable=False),
        sa.Column("audience_kind", sa.String(length=8), nullable=False),
        sa.Column("audience", sa.String(length=120), nullable=False),
        sa.Column("scope_agency", sa.String(length=120), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("author", sa.String(length=254), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saiddidnote")),
    )
    op.create_table(
        "saiddidseen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("shown_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["saiddidnote.id"], name=op.f("fk_saiddidseen_note_id_saiddidnote")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saiddidseen")),
        sa.UniqueConstraint("note_id", "person_id", name=op.f("uq_saiddidseen_note_id")),
    )
    op.create_index(op.f("ix_saiddidseen_note_id"), "saiddidseen", ["note_id"])
    op.create_index(op.f("ix_saiddidseen_person_id"), "saiddidseen", ["person_id"])


def downgrade() -> None:
    op.drop_table("saiddidseen")
    op.drop_table("saiddidnote")
    op.drop_table("practicemoment")
    op.drop_table("lessonproposal")
