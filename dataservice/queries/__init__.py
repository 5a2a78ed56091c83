"""Every SQL statement of the Data Service, as plain async functions over a connection.

Functions take an :class:`~sqlalchemy.ext.asyncio.AsyncConnection` (the caller owns the
transaction), explicit arguments and the current time; they return frozen records or raise the
domain errors of :mod:`dataservice.errors`. Write transactions start with their write so that,
on SQLite, no transaction ever has to upgrade a read lock (which cannot wait, only fail).
One module per table group; views import this package only.
"""

from __future__ import annotations

from dataservice.queries.events import (
    EventClaimRecord,
    claim_event,
    finish_event,
    finish_held,
    insert_leases,
    lease_event,
    release_event,
)
from dataservice.queries.reminders import (
    ReminderRecord,
    cancel_reminder,
    create_reminder,
    list_pending_reminders,
)
from dataservice.queries.schedule import (
    DueAlertRecord,
    DueReminderRecord,
    claim_due_alerts,
    claim_due_reminders,
    finish_alert,
    finish_reminder,
)
from dataservice.queries.shared import ping
from dataservice.queries.users import (
    UserRecord,
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
    "DueAlertRecord",
    "DueReminderRecord",
    "EventClaimRecord",
    "ReminderRecord",
    "UserRecord",
    "WorkspaceRecord",
    "cancel_reminder",
    "claim_due_alerts",
    "claim_due_reminders",
    "claim_event",
    "create_reminder",
    "create_workspace",
    "delete_workspace",
    "find_user",
    "finish_alert",
    "finish_event",
    "finish_held",
    "finish_reminder",
    "get_bot_token",
    "get_or_create_user",
    "get_user",
    "get_workspace",
    "insert_leases",
    "lease_event",
    "list_pending_reminders",
    "list_users",
    "list_workspaces",
    "ping",
    "read_user",
    "release_event",
    "rotate_bot_tokens",
    "set_user_alerts",
    "set_user_setting",
    "unset_user_setting",
    "update_user",
    "update_workspace",
]
