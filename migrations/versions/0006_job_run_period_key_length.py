"""job_runs.period_key holds a manual pass's slot

`mentorbot jobs run` records its pass under a slot naming the instant it runs as and the instant
it ran (bot.scheduler.jobs.manual_slot, at most 54 characters); 40 was too short, and
PostgreSQL refused every manual pass.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.alter_column(
            "period_key", existing_type=sa.String(40), type_=sa.String(64), existing_nullable=False
        )


def downgrade() -> None:
    # Records of manual passes do not fit the old column; they are a log, not program data.
    op.execute(sa.text("DELETE FROM job_runs WHERE length(period_key) > 40"))
    with op.batch_alter_table("job_runs") as batch:
        batch.alter_column(
            "period_key", existing_type=sa.String(64), type_=sa.String(40), existing_nullable=False
        )
