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
    "events:claim",
    "reminders:read",
    "reminders:write",
    "schedule:claim",
)
