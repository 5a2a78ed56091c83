"""Every SQL statement of the Data Service, as plain async functions over a connection.

Functions take an :class:`~sqlalchemy.ext.asyncio.AsyncConnection` (the caller owns the
transaction), explicit arguments and the current time; they return the wire models of
:mod:`jeeves_shared.dataclient.models` (rows validated straight into them) or raise the
domain errors of :mod:`dataservice.errors`. Write transactions start with their write so that,
on SQLite, no transaction ever has to upgrade a read lock (which cannot wait, only fail).
One module per table group; views import this package only.
"""

from __future__ import annotations

from dataservice.queries.admin import my_workspace, set_workspace_alerts
from dataservice.queries.installations import (
    deactivate_installation,
    find_installation,
    get_installation,
    lock_installation,
    read_token,
    rotate_installation_tokens,
    save_installation,
    store_token,
)
from dataservice.queries.reminders import (
    cancel_reminder,
    create_reminder,
    list_pending_reminders,
)
from dataservice.queries.replies import (
    finish_replies,
    finish_reply,
    lease_replies,
    lease_reply,
    release_reply,
)
from dataservice.queries.schedule import (
    claim_due_alerts,
    claim_due_reminders,
    finish_alert,
    finish_reminder,
)
from dataservice.queries.sessions import (
    ActiveSession,
    create_session,
    find_session,
    list_my_reminders,
    revoke_session,
)
from dataservice.queries.shared import ping
from dataservice.queries.users import (
    find_user,
    get_or_create_user,
    get_user,
    list_users,
    read_user,
    set_user_alerts,
    set_user_setting,
    unset_user_setting,
    update_user,
)
from dataservice.queries.workspaces import (
    create_workspace,
    delete_workspace,
    get_bot_token,
    get_workspace,
    list_workspaces,
    rotate_bot_tokens,
    update_workspace,
)

__all__ = [
    "ActiveSession",
    "cancel_reminder",
    "claim_due_alerts",
    "claim_due_reminders",
    "create_reminder",
    "create_session",
    "create_workspace",
    "deactivate_installation",
    "delete_workspace",
    "find_installation",
    "find_session",
    "find_user",
    "finish_alert",
    "finish_reminder",
    "finish_replies",
    "finish_reply",
    "get_bot_token",
    "get_installation",
    "get_or_create_user",
    "get_user",
    "get_workspace",
    "lease_replies",
    "lease_reply",
    "list_my_reminders",
    "list_pending_reminders",
    "list_users",
    "list_workspaces",
    "lock_installation",
    "my_workspace",
    "ping",
    "read_token",
    "read_user",
    "release_reply",
    "revoke_session",
    "rotate_bot_tokens",
    "rotate_installation_tokens",
    "save_installation",
    "set_user_alerts",
    "set_user_setting",
    "set_workspace_alerts",
    "store_token",
    "unset_user_setting",
    "update_user",
    "update_workspace",
]
