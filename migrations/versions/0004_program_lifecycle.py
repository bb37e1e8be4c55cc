"""program lifecycle: named programs, eligibility, closing, next round, confidence ratings

Several programs run at once, so a program is found by its name: names become unique (an
existing database with two programs of the same name keeps the older name and gives the newer
one its id as a suffix). Programs gain eligible departments and a closing time; people gain the
"invite me to the next round" choice and the reason they are waiting for a partner; confidence
ratings (before and after, per topic) measure what was learnt.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _unique_names() -> None:
    """Rename later duplicates to "<name> (<id>)" so the unique constraint can be added."""
    conn = op.get_bind()
    seen: set[str] = set()
    for program_id, name in conn.execute(sa.text("SELECT id, name FROM programs ORDER BY id")):
        if name in seen:
            renamed = f"{name[:70]} ({program_id})"
            conn.execute(
                sa.text("UPDATE programs SET name = :name WHERE id = :id"),
                {"name": renamed, "id": program_id},
            )
            name = renamed
        seen.add(name)


def upgrade() -> None:
    _unique_names()
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("eligible_departments", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_programs_name"), ["name"])
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_round", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("waiting_reason", sa.Text(), nullable=True))
    op.create_table(
        "confidence_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_confidence_ratings_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_confidence_ratings_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confidence_ratings")),
        sa.UniqueConstraint(
            "program_id",
            "participant_id",
            "topic",
            "phase",
            name=op.f("uq_confidence_ratings_program_id_participant_id_topic_phase"),
        ),
    )
    with op.batch_alter_table("confidence_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_confidence_ratings_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_confidence_ratings_program_id"), ["program_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("confidence_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_confidence_ratings_program_id"))
        batch_op.drop_index(batch_op.f("ix_confidence_ratings_participant_id"))
    op.drop_table("confidence_ratings")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("waiting_reason")
        batch_op.drop_column("next_round")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_programs_name"), type_="unique")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("eligible_departments")
