"""Leased event claims (``status``, ``lease_until``) and idempotent reminder creation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT_STATUS = op.f("ck_processed_events_status")
_REQUEST_KEY = op.f("uq_reminders_user_id_request_key")


def upgrade() -> None:
    """Claims get a status (existing ones are ``done``) and a lease; reminders a request key."""
    # batch: SQLite alters by rebuilding the table; elsewhere these are plain ALTER TABLEs.
    with op.batch_alter_table("processed_events") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="done"))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("taken_over", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_check_constraint(_EVENT_STATUS, "status IN ('pending', 'done')")
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("request_key", sa.String(200), nullable=True))
        batch.create_unique_constraint(_REQUEST_KEY, ["user_id", "request_key"])


def downgrade() -> None:
    """Drop them; pending claims go, so their events can be claimed again (not lost)."""
    op.execute("DELETE FROM processed_events WHERE status = 'pending'")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint(_REQUEST_KEY, type_="unique")
        batch.drop_column("request_key")
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_constraint(_EVENT_STATUS, type_="check")
        batch.drop_column("taken_over")
        batch.drop_column("lease_until")
        batch.drop_column("status")
