"""Installations: Jeeves in a workspace or org-wide, with its encrypted, rotating bot token.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WORKSPACES = sa.table(
    "workspaces",
    sa.column("team_id", sa.String),
    sa.column("bot_user_id", sa.String),
    sa.column("bot_id", sa.String),
    sa.column("bot_token_encrypted", sa.Text),
    sa.column("scopes", sa.JSON),
    sa.column("is_installed", sa.Boolean),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    """Create ``installations``; a workspace that held a bot token becomes one (same
    ciphertext: the encryption keys do not change)."""
    installations = op.create_table(
        "installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("team_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("app_id", sa.String(32), nullable=True),
        sa.Column("bot_user_id", sa.String(32), nullable=False),
        sa.Column("bot_id", sa.String(32), nullable=True),
        sa.Column("bot_scopes", sa.JSON(), nullable=False),
        sa.Column("installer_user_id", sa.String(32), nullable=True),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=True),
        sa.Column("bot_refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("bot_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("inactive_reason", sa.String(64), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installations")),
        sa.UniqueConstraint(
            "enterprise_id", "team_id", name=op.f("uq_installations_enterprise_id")
        ),
    )
    assert installations is not None  # create_table returns the table
    workspaces = _WORKSPACES
    op.execute(
        installations.insert().from_select(
            [
                "team_id",
                "bot_user_id",
                "bot_id",
                "bot_scopes",
                "bot_token_encrypted",
                "active",
                "installed_at",
                "updated_at",
            ],
            sa.select(
                workspaces.c.team_id,
                sa.func.coalesce(workspaces.c.bot_user_id, ""),
                workspaces.c.bot_id,
                workspaces.c.scopes,
                workspaces.c.bot_token_encrypted,
                sa.and_(workspaces.c.is_installed, workspaces.c.is_active),
                workspaces.c.created_at,
                workspaces.c.updated_at,
            ).where(workspaces.c.bot_token_encrypted.is_not(None)),
        )
    )


def downgrade() -> None:
    """Drop ``installations`` (workspaces still hold the tokens they held before)."""
    op.drop_table("installations")
