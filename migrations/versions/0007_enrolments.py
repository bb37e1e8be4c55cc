"""enrolments: every program a person has been in

`participants.program_id` is the program someone is in now; when people of a closed program
joined the next round, the closed program's enrolled count and report changed with them. Each
program now counts its own enrolments, with the role a person had in it and, once their time in
it ended, the status it counts them with. Existing data gets one enrolment per participant with
a program; in a closed program their status now is kept as the one it counts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("active", "paused", "left", "deleted")


def upgrade() -> None:
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("share", "learn", "either", name="role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "final_status",
            sa.Enum(*STATUSES, name="participantstatus", native_enum=False, length=20),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_enrolments_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_enrolments_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint(
            "program_id", "participant_id", name=op.f("uq_enrolments_program_id_participant_id")
        ),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolments_participant_id"), ["participant_id"], unique=False
        )
    closed = "programs.status = 'closed'"
    op.execute(
        sa.text(
            "INSERT INTO enrolments"
            " (program_id, participant_id, role, enrolled_at, ended_at, final_status)"
            " SELECT participants.program_id, participants.id, participants.role,"
            " participants.created_at,"
            f" CASE WHEN {closed} THEN COALESCE(programs.closed_at, programs.updated_at) END,"
            f" CASE WHEN {closed} THEN participants.status END"
            " FROM participants JOIN programs ON programs.id = participants.program_id"
        )
    )


def downgrade() -> None:
    # The current program stays in participants.program_id; earlier enrolments are history only.
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolments_participant_id"))
    op.drop_table("enrolments")
