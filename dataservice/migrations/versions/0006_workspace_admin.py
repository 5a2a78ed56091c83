"""The workspace admin view: users' Slack roles, a workspace's daily-alerts switch, and the
workspace of each reply claim.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``users.is_owner`` and ``users.roles_checked_at`` (``is_admin`` exists since 0001),
    ``workspaces.daily_alerts_enabled`` (on), and ``processed_events.team_id`` with an index
    for counting a workspace's answers of the last day."""
    # batch_alter_table: SQLite cannot add a constraint-carrying column in place; on
    # PostgreSQL it is a plain ALTER TABLE.
    with op.batch_alter_table("users") as users:
        users.add_column(
            sa.Column("is_owner", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        users.add_column(sa.Column("roles_checked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("workspaces") as workspaces:
        workspaces.add_column(
            sa.Column(
                "daily_alerts_enabled", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
    with op.batch_alter_table("processed_events") as claims:
        claims.add_column(sa.Column("team_id", sa.String(32), nullable=True))
    op.create_index(
        "ix_processed_events_team_id_first_seen", "processed_events", ["team_id", "first_seen"]
    )


def downgrade() -> None:
    """Drop them again (the roles are learnt anew at the next sign-in or ``user_change``)."""
    op.drop_index("ix_processed_events_team_id_first_seen", table_name="processed_events")
    with op.batch_alter_table("processed_events") as claims:
        claims.drop_column("team_id")
    with op.batch_alter_table("workspaces") as workspaces:
        workspaces.drop_column("daily_alerts_enabled")
    with op.batch_alter_table("users") as users:
        users.drop_column("roles_checked_at")
        users.drop_column("is_owner")
