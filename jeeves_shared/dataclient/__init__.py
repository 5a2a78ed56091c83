"""The Data Service client: one package for talking to the Data Service.

:mod:`.client` holds :class:`DataServiceClient` (one method per API operation) over
:mod:`.transport` (tokens, retries, backoff); :mod:`.errors` the errors it raises, one per
status; :mod:`.models` the wire models of the answers, shared with the service; :mod:`.scopes`
the scopes each endpoint needs. Import them from here.
"""

from __future__ import annotations

from jeeves_shared.dataclient.client import DataServiceClient
from jeeves_shared.dataclient.errors import (
    Conflict,
    DataServiceError,
    DataServiceUnavailable,
    InstallationInactive,
    InstallationNotFound,
    InvalidRequest,
    NotFound,
    NotWorkspaceAdmin,
    PreconditionFailed,
    SessionEnded,
    Unauthorized,
)
from jeeves_shared.dataclient.models import (
    BotToken,
    Claimed,
    DoneOutcome,
    DueAlert,
    DueReminder,
    Installation,
    LeaseOutcome,
    Me,
    MyReminders,
    MyWorkspace,
    NewInstallation,
    Reminder,
    SessionCreated,
    User,
    UserPage,
    Workspace,
    WorkspaceMember,
    WorkspacePage,
)
from jeeves_shared.dataclient.scopes import (
    AUDIENCE,
    DASHBOARD_SCOPES,
    FRONTEND_SCOPES,
    SCHEDULER_SCOPES,
    TOKEN_SCOPES,
    WORKER_SCOPES,
)

__all__ = [
    "AUDIENCE",
    "DASHBOARD_SCOPES",
    "FRONTEND_SCOPES",
    "SCHEDULER_SCOPES",
    "TOKEN_SCOPES",
    "WORKER_SCOPES",
    "BotToken",
    "Claimed",
    "Conflict",
    "DataServiceClient",
    "DataServiceError",
    "DataServiceUnavailable",
    "DoneOutcome",
    "DueAlert",
    "DueReminder",
    "Installation",
    "InstallationInactive",
    "InstallationNotFound",
    "InvalidRequest",
    "LeaseOutcome",
    "Me",
    "MyReminders",
    "MyWorkspace",
    "NewInstallation",
    "NotFound",
    "NotWorkspaceAdmin",
    "PreconditionFailed",
    "Reminder",
    "SessionCreated",
    "SessionEnded",
    "Unauthorized",
    "User",
    "UserPage",
    "Workspace",
    "WorkspaceMember",
    "WorkspacePage",
]
