"""personal data: erased placeholders, votes that outlive their person, indexes of the retention

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Every retention rule and every lookup of an erasure or an export runs on an
index, so the daily job stays cheap however long the bot runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_person_erased_at", ["erased_at"])
        batch_op.create_index("ix_person_last_seen_at", ["last_seen_at"])
    # A vote past its period keeps only topic, value and date (no person, chat or message).
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("message_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_index("ix_feedback_person_id", ["person_id"])
        batch_op.create_index("ix_feedback_created_at", ["created_at"])
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.create_index("ix_ticket_state_closed", ["state", "closed_at"])
    with op.batch_alter_table("unanswered") as batch_op:
        batch_op.create_index("ix_unanswered_person_id", ["person_id"])
        batch_op.create_index("ix_unanswered_created_at", ["created_at"])
    with op.batch_alter_table("learned_example") as batch_op:
        batch_op.create_index("ix_learned_example_ticket_id", ["ticket_id"])
        batch_op.create_index("ix_learned_example_created_at", ["created_at"])
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.create_index("ix_delivery_person_id", ["person_id"])


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_person_id")
    with op.batch_alter_table("learned_example") as batch_op:
        batch_op.drop_index("ix_learned_example_created_at")
        batch_op.drop_index("ix_learned_example_ticket_id")
    with op.batch_alter_table("unanswered") as batch_op:
        batch_op.drop_index("ix_unanswered_created_at")
        batch_op.drop_index("ix_unanswered_person_id")
    with op.batch_alter_table("ticket") as batch_op:
        batch_op.drop_index("ix_ticket_state_closed")
    # Anonymous votes cannot go back into columns that require a person.
    op.execute("DELETE FROM feedback WHERE person_id IS NULL OR chat_id IS NULL")
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.drop_index("ix_feedback_created_at")
        batch_op.drop_index("ix_feedback_person_id")
        batch_op.alter_column("message_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
    # Placeholders of erased people hold nothing; without the column they would look alive.
    op.execute("DELETE FROM person WHERE erased_at IS NOT NULL")
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("ix_person_last_seen_at")
        batch_op.drop_index("ix_person_erased_at")
        batch_op.drop_column("erased_at")
