"""enrolments keep the department and topics a person had when their time in a program ended

A closed program's report grouped its people by their department and topics of now, so an org
re-import or a profile edited for the next round changed it. An enrolment that ends now keeps
them (department as reports choose it: HR's org data first, else the person's own). Enrolments
already ended get the values of now, the best there is.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("share_topics", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("learn_topics", sa.JSON(), nullable=True))
    person = "FROM participants WHERE participants.id = enrolments.participant_id"
    op.execute(
        sa.text(
            "UPDATE enrolments SET"
            " department = (SELECT COALESCE(CASE WHEN org_people.in_org_data"
            " THEN org_people.department END, participants.department) FROM participants"
            " LEFT JOIN org_people ON org_people.slack_user_id = participants.slack_user_id"
            " WHERE participants.id = enrolments.participant_id),"
            f" share_topics = (SELECT participants.share_topics {person}),"
            f" learn_topics = (SELECT participants.learn_topics {person})"
            " WHERE ended_at IS NOT NULL"
        )
    )


def downgrade() -> None:
    # Closed programs' reports then follow their people's latest department and topics again.
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("learn_topics")
        batch_op.drop_column("share_topics")
        batch_op.drop_column("department")
