"""Inputs of ``/api/v1/workspaces``; the answers are
:class:`~jeeves_shared.dataclient.models.Workspace`, ``WorkspacePage`` and ``WorkspaceBotToken``."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, Field

from dataservice.schemas.types import InputModel, OAuthScope, ShortText, SlackId, SlackToken


class WorkspaceCreate(InputModel):
    """Body of a workspace creation (what the OAuth install flow learns)."""

    team_id: SlackId
    name: ShortText = ""
    bot_user_id: SlackId | None = None
    bot_id: SlackId | None = None
    bot_token: SlackToken | None = None
    scopes: list[OAuthScope] = Field(default_factory=list, max_length=100)
    is_installed: bool = True
    is_active: bool = True


class WorkspaceUpdate(InputModel):
    """Body of a workspace update: only the fields present change; ``null`` clears one."""

    name: ShortText | MISSING = MISSING
    bot_user_id: SlackId | MISSING | None = MISSING
    bot_id: SlackId | MISSING | None = MISSING
    bot_token: SlackToken | MISSING | None = MISSING
    scopes: Annotated[list[OAuthScope], Field(max_length=100)] | MISSING = MISSING
    is_installed: bool | MISSING = MISSING
    is_active: bool | MISSING = MISSING
