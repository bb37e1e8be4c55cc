"""org_imports: each import of HR's people file and what its report said

HR admins' App Home shows the latest import (when, by whom, rows read, people matched, rows not
matched, cycles, managers not in the file, people no longer in the org data), whether it came
from `mentorbot org import` or from Slack. Counts only: no line numbers, no emails.

Numbered 0008 because issue 13's enrolments take 0007; until that lands this revises 0006.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=32), nullable=True),
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("cycles", sa.Integer(), nullable=False),
        sa.Column("managers_missing", sa.Integer(), nullable=False),
        sa.Column("no_longer", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_imports")),
    )


def downgrade() -> None:
    op.drop_table("org_imports")
