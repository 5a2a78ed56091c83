"""Reminders, and daily weather alerts on users (with the scheduler's lease columns).

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ALERT_COLUMNS = (
    "alerts_enabled",
    "alert_time",
    "next_alert_at",
    "alert_lease_owner",
    "alert_lease_until",
)


def upgrade() -> None:
    """Add the alert columns to users; create reminders."""
    # batch: SQLite alters by rebuilding the table; elsewhere these are plain ALTER TABLEs.
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("alerts_enabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("alert_time", sa.String(5), nullable=True))
        batch.add_column(sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("alert_lease_owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("alert_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_users_next_alert_at"), "users", ["next_alert_at"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'cancelled')", name=op.f("ck_reminders_status")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    op.create_index(
        "ix_reminders_user_id_status_due_at", "reminders", ["user_id", "status", "due_at"]
    )
    op.create_index("ix_reminders_status_due_at", "reminders", ["status", "due_at"])


def downgrade() -> None:
    """Drop reminders and the alert columns."""
    op.drop_index("ix_reminders_status_due_at", table_name="reminders")
    op.drop_index("ix_reminders_user_id_status_due_at", table_name="reminders")
    op.drop_table("reminders")
    op.drop_index(op.f("ix_users_next_alert_at"), table_name="users")
    with op.batch_alter_table("users") as batch:
        for name in reversed(_ALERT_COLUMNS):
            batch.drop_column(name)
