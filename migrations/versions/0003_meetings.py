"""meetings: each pair's regular meeting time and its changes

A pair's slot (weekday and wall-clock start in the anchor person's zone, length), its status,
the version every button carries and the calendar SEQUENCE; and one row per change, unique per
(meeting, version), which is the claim that makes double clicks change a meeting once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("proposed", "confirmed", name="meetingstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("weekday", sa.String(length=3), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("fit", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(length=32), nullable=True),
        sa.Column("confirmed_by", sa.String(length=32), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], name=op.f("fk_meetings_pair_id_pairs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("pair_id", name=op.f("uq_meetings_pair_id")),
    )
    op.create_table(
        "meeting_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("week", sa.Integer(), nullable=True),
        sa.Column("original_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("by_user", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_changes_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_changes")),
        sa.UniqueConstraint(
            "meeting_id", "version", name=op.f("uq_meeting_changes_meeting_id_version")
        ),
    )
    op.create_index(
        op.f("ix_meeting_changes_meeting_id"), "meeting_changes", ["meeting_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_meeting_changes_meeting_id"), table_name="meeting_changes")
    op.drop_table("meeting_changes")
    op.drop_table("meetings")
