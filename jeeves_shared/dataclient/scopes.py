"""The scopes the Data Service's endpoints require, one list for every service.

The TokenDealer grants them (its dev client has them all), the Data Service checks them, and
the workers ask for the subsets they need (:mod:`jeeves_shared.dataclient`).
"""

from __future__ import annotations

DATASERVICE_SCOPES = (
    "users:read",
    "users:write",
    "workspaces:read",
    "workspaces:write",
    "workspaces:tokens",
    "events:claim",  # reply claims (URL /events)
    "reminders:read",
    "reminders:write",
    "schedule:claim",
    "sessions:read",  # dashboard sessions, and /me as the signed-in user
    "sessions:write",
    "installations:read",
    "installations:write",
    "installations:token",  # bot tokens in clear: only Slack-calling workers ask for it
)

#: The Data Service's audience, as the TokenDealer knows it.
AUDIENCE = "dataservice"
#: What a worker usually needs; the Slack poster asks for its own (``POSTER_SCOPES`` in
#: :mod:`workers.slack.poster`).
WORKER_SCOPES = ("users:read", "users:write", "events:claim", "reminders:read", "reminders:write")
#: What the scheduler needs: claiming due reminders and alerts, and reporting them done.
SCHEDULER_SCOPES = ("schedule:claim",)
#: What the front door's dashboard needs: sessions, and the signed-in user's own rows (/me).
DASHBOARD_SCOPES = ("sessions:read", "sessions:write")
#: What the front door needs: finding the installation of a request, recording installs and
#: uninstalls, using the one-time states of installs and sign-ins once (once-only claims,
#: ``events:claim``), a bot token to ask Slack's ``users.info`` about a person signing in
#: (``installations:token``), and the dashboard's.
FRONTEND_SCOPES = (
    "installations:read",
    "installations:write",
    "installations:token",
    "events:claim",
    *DASHBOARD_SCOPES,
)
#: What a worker calling Slack adds to its own: bot tokens of the installations.
TOKEN_SCOPES = ("installations:token",)
