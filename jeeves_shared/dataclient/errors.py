"""The errors :class:`~jeeves_shared.dataclient.DataServiceClient` raises, one per status.

Named for the status the client received; the service's own errors (:mod:`dataservice.errors`)
are named for what went wrong in its domain. Import them from :mod:`jeeves_shared.dataclient`,
which re-exports them.
"""

from __future__ import annotations


class DataServiceError(Exception):
    """The Data Service answered with an error status (see :attr:`status`)."""

    def __init__(self, status: int, error: str = "", description: str = "") -> None:
        super().__init__(f"data service answered {status} {error}: {description}".strip(": "))
        self.status = status
        self.error = error
        self.description = description


class NotFound(DataServiceError):
    """404: no such user, workspace, setting, token or reminder."""


class Conflict(DataServiceError):
    """409: the workspace exists already, a reply claim is done or someone else's, the user
    has too many pending reminders (``error`` ``too_many_reminders``), a lease was lost
    (``lease_lost``) or an installation is inactive (``installation_inactive``)."""


class InstallationNotFound(NotFound):
    """404 on an installation: Jeeves is not installed for that enterprise or team."""


class InstallationInactive(Conflict):
    """409 ``installation_inactive``: the installation was uninstalled, its tokens revoked, or
    Slack refused to refresh its token; it has no token until the app is installed again."""


class PreconditionFailed(DataServiceError):
    """412: the resource changed since the ``etag`` given as ``if_match``."""


class InvalidRequest(DataServiceError):
    """422: the Data Service refused the input (a bug in the caller, not retried)."""


class Unauthorized(DataServiceError):
    """401 even with a fresh token, or 403: the token lacks a scope."""


class SessionEnded(Unauthorized):
    """403 ``invalid_session``: the dashboard session expired, was signed out, or never was."""


class NotWorkspaceAdmin(Unauthorized):
    """403 ``not_workspace_admin``: the signed-in person is not (or no longer) an admin or
    owner of their Slack workspace."""


class DataServiceUnavailable(DataServiceError):
    """Unreachable, timing out or answering 5xx after every retry (``status`` 0: no answer)."""


#: The error raised for each 4xx status; any other is a plain :class:`DataServiceError`.
ERRORS_BY_STATUS: dict[int, type[DataServiceError]] = {
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: InvalidRequest,
}
