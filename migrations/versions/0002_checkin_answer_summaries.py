"""check-in answer summaries and report indexes

Each check-in carries what its answers came to (outcome, feedback count, rating sums, thumbs,
who gave feedback, who cancelled), kept up to date by bot.services.summaries, and its pair's
program, so that HR's report reads one row per check-in instead of every answer, through two
covering indexes. Existing check-ins are filled in from their answers and pairs here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "outcome",
    "answers",
    "usefulness_sum",
    "usefulness_count",
    "candour_sum",
    "candour_count",
    "thumbs_up",
    "thumbs_down",
)
FLAGS = ("sharer_answered", "learner_answered", "cancelled_by_sharer", "cancelled_by_learner")
REPORT_INDEXES = {
    "ix_checkins_report_by_week": ["program_id", "kind", "week", "prompt_id", *COUNTS],
    "ix_checkins_report_by_pair": [
        "program_id",
        "kind",
        "pair_id",
        "week",
        "outcome",
        "sent_at",
        *FLAGS,
    ],
}
POSTED = sa.text("message_ts IS NOT NULL")

# The summary of one check-in from its answers, as bot.services.summaries computes it, written
# out here so that this migration does not change when the application code does.
_ANSWERS = (
    "FROM responses r JOIN pairs p ON p.id = checkins.pair_id WHERE r.checkin_id = checkins.id"
)
_SUMMARY = {
    "outcome": "MAX(CASE r.attendance WHEN 'met' THEN 4 WHEN 'scheduled' THEN 3 "
    "WHEN 'cancelled' THEN 2 WHEN 'partner_cancelled' THEN 2 WHEN 'skipped' THEN 1 ELSE 0 END)",
    "answers": "COUNT(r.feedback_submitted_at)",
    "usefulness_sum": "SUM(r.usefulness)",
    "usefulness_count": "COUNT(r.usefulness)",
    "candour_sum": "SUM(r.candour)",
    "candour_count": "COUNT(r.candour)",
    "thumbs_up": "COUNT(CASE WHEN r.prompt_rating > 0 THEN 1 END)",
    "thumbs_down": "COUNT(CASE WHEN r.prompt_rating < 0 THEN 1 END)",
    "sharer_answered": "r.participant_id = p.sharer_id AND r.feedback_submitted_at IS NOT NULL",
    "learner_answered": "r.participant_id = p.learner_id AND r.feedback_submitted_at IS NOT NULL",
    "cancelled_by_sharer": "(r.participant_id = p.sharer_id AND r.attendance = 'cancelled') OR "
    "(r.participant_id = p.learner_id AND r.attendance = 'partner_cancelled')",
    "cancelled_by_learner": "(r.participant_id = p.learner_id AND r.attendance = 'cancelled') OR "
    "(r.participant_id = p.sharer_id AND r.attendance = 'partner_cancelled')",
}


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program_id", sa.Integer(), nullable=True))
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        for name in FLAGS:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    counts = ", ".join(
        f"{name} = COALESCE((SELECT {_SUMMARY[name]} {_ANSWERS}), 0)" for name in COUNTS
    )
    flags = ", ".join(
        f"{name} = EXISTS (SELECT 1 {_ANSWERS} AND ({_SUMMARY[name]}))" for name in FLAGS
    )
    op.execute(
        f"UPDATE checkins SET {counts}, {flags} "
        "WHERE EXISTS (SELECT 1 FROM responses r WHERE r.checkin_id = checkins.id)"
    )
    op.execute(
        "UPDATE checkins SET program_id = (SELECT program_id FROM pairs WHERE pairs.id = checkins.pair_id)"
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.alter_column("program_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_checkins_program_id_programs"), "programs", ["program_id"], ["id"]
        )
    for name, columns in REPORT_INDEXES.items():
        op.create_index(name, "checkins", columns, sqlite_where=POSTED, postgresql_where=POSTED)


def downgrade() -> None:
    for name in REPORT_INDEXES:
        op.drop_index(name, table_name="checkins")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_checkins_program_id_programs"), type_="foreignkey")
        for name in reversed(("program_id", *COUNTS, *FLAGS)):
            batch_op.drop_column(name)
