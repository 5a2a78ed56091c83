"""Every SQL statement of the Data Service, as plain async functions over a connection.

Functions take an :class:`~sqlalchemy.ext.asyncio.AsyncConnection` (the caller owns the
transaction), explicit arguments and the current time; they return frozen records or raise the
domain errors of :mod:`dataservice.errors`. Write transactions start with their write so that,
on SQLite, no transaction ever has to upgrade a read lock (which cannot wait, only fail).
One module per table group; views import this package only.
"""

from __future__ import annotations

from dataservice.queries.events import claim_event
from dataservice.queries.shared import ping
from dataservice.queries.users import (
    UserRecord,
    find_user,
    get_or_create_user,
    get_user,
    list_users,
    set_user_setting,
    unset_user_setting,
    update_user,
)
from dataservice.queries.workspaces import (
    WorkspaceRecord,
    create_workspace,
    delete_workspace,
    get_bot_token,
    get_workspace,
    list_workspaces,
    rotate_bot_tokens,
    update_workspace,
)

__all__ = [
    "UserRecord",
    "WorkspaceRecord",
    "claim_event",
    "create_workspace",
    "delete_workspace",
    "find_user",
    "get_bot_token",
    "get_or_create_user",
    "get_user",
    "get_workspace",
    "list_users",
    "list_workspaces",
    "ping",
    "rotate_bot_tokens",
    "set_user_setting",
    "unset_user_setting",
    "update_user",
    "update_workspace",
]
