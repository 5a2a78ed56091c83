"""The Data Service client: one package for talking to the Data Service.

:mod:`.client` holds :class:`DataServiceClient`; :mod:`.errors` the errors it raises, one per
status; :mod:`.models` the answers it returns; :mod:`.scopes` the scopes each endpoint needs.
Import them from here.
"""

from __future__ import annotations

from jeeves_shared.dataclient.client import (
    AUDIENCE,
    SCHEDULER_SCOPES,
    WORKER_SCOPES,
    DataServiceClient,
)
from jeeves_shared.dataclient.errors import (
    Conflict,
    DataServiceError,
    DataServiceUnavailable,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)
from jeeves_shared.dataclient.models import (
    Claimed,
    DueAlert,
    DueReminder,
    EventLease,
    Reminder,
    User,
    UserPage,
    Workspace,
    WorkspacePage,
)

__all__ = [
    "AUDIENCE",
    "SCHEDULER_SCOPES",
    "WORKER_SCOPES",
    "Claimed",
    "Conflict",
    "DataServiceClient",
    "DataServiceError",
    "DataServiceUnavailable",
    "DueAlert",
    "DueReminder",
    "EventLease",
    "InvalidRequest",
    "NotFound",
    "PreconditionFailed",
    "Reminder",
    "Unauthorized",
    "User",
    "UserPage",
    "Workspace",
    "WorkspacePage",
]
