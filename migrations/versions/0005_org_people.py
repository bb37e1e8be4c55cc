"""org data imported from the HR system; a per-program different-departments rule

One row per person found in Slack: department, manager, the whole chain above them (Slack ids),
title, location, time zone and experience band; ``in_org_data`` false once a newer import no
longer lists them. No email is stored. ``invitations``: who HR invited to which program (once
each). Programs get ``different_departments`` (HR's hard rule).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = ("0-2", "3-5", "6-10", "11-20", "21+")


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch_op:
        batch_op.add_column(
            sa.Column(
                "different_departments", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.create_table(
        "org_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=80), nullable=True),
        sa.Column("manager_slack_id", sa.String(length=32), nullable=True),
        sa.Column("reporting_line", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=True),
        sa.Column("location", sa.String(length=120), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column(
            "experience_band",
            sa.Enum(*BANDS, name="experienceband", native_enum=False, length=8),
            nullable=True,
        ),
        sa.Column("in_org_data", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_people")),
        sa.UniqueConstraint("slack_user_id", name=op.f("uq_org_people_slack_user_id")),
    )


    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("invited_by", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_invitations_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint(
            "program_id", "slack_user_id", name=op.f("uq_invitations_program_id_slack_user_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("invitations")
    op.drop_table("org_people")
    with op.batch_alter_table("programs") as batch_op:
        batch_op.drop_column("different_departments")
