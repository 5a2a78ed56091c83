"""An installation's lifecycle events, handled by the user worker.

The front door turns Slack's ``app_uninstalled``, ``tokens_revoked`` (of the bot's token),
``team_access_granted`` and ``team_access_revoked`` into actions whose ``command`` is the event
type (``jeeves_frontend.events.lifecycle_action``); they travel on the user worker's queue.

- ``app_uninstalled`` and ``tokens_revoked`` mark the installation inactive and delete its
  tokens (``deactivate_installation``, reason: the event type), and drop the worker's cached
  token. Either may come first, and each may come again: the second and later are no-ops. The
  installation's users keep their settings; installing Jeeves again reactivates it with them.
- ``team_access_granted`` / ``team_access_revoked`` (org-wide installs: a workspace of the org
  gained or lost access to Jeeves) change nothing stored: the org-wide installation serves
  whichever workspaces Slack sends events from. They are logged, for the operator.
- ``user_change`` (a member's profile changed in Slack) stores the member's Slack roles
  (``is_admin``, ``is_owner``: the roles the action's ``args`` lists are held, the others
  not) if Jeeves knows them; the Data Service re-reads them on each call of the dashboard's
  workspace view, so a demotion holds at once. Members who never used Jeeves are not stored.

Nothing is answered (there is no conversation).
"""

from __future__ import annotations

import structlog

from jeeves_shared.messages import SLACK_ROLES, Action
from workers.deps import UserDeps

log = structlog.get_logger(__name__)

#: The events that end an installation, and so its tokens.
DEACTIVATING = frozenset({"app_uninstalled", "tokens_revoked"})


async def handle(action: Action, deps: UserDeps) -> None:
    """Record one lifecycle event of the installation ``action`` came through.

    Raises the Data Service client's errors when it cannot record it: the bus retries.
    """
    if action.command == "user_change":
        await record_roles(action, deps)
        return
    key = action.conversation.installation
    fields = {
        "enterprise_id": key.enterprise_id,
        "team_id": key.team_id,
        "is_enterprise_install": key.is_enterprise_install,
        "slack_event": action.command,
    }
    if action.command not in DEACTIVATING:
        log.info("installation.team_access", teams=action.args.split(), **fields)
        return
    installation = await deps.data.deactivate_installation(key, reason=action.command)
    if deps.tokens is not None:
        deps.tokens.forget(key)
    if installation is None:
        log.warning("installation.unknown", **fields)
        return
    log.info("installation.deactivated", **fields)


async def record_roles(action: Action, deps: UserDeps) -> None:
    """Store the Slack roles of ``user_change``'s member, if Jeeves knows them (a no-op when
    they are unchanged: Slack sends the event for any profile change)."""
    team_id, slack_user_id = action.conversation.user_team, action.conversation.user_id
    user = await deps.data.find_user(team_id, slack_user_id)
    if user is None:
        log.debug("user_change.unknown_user", team_id=team_id)
        return
    held = set(action.args.split())
    roles = {role: role in held for role in SLACK_ROLES}
    if (user.is_admin, user.is_owner) == (roles["is_admin"], roles["is_owner"]):
        return
    # Dated by Slack's event_time: if a newer user_change (or a sign-in) already set the
    # roles, the Data Service keeps those.
    updated = await deps.data.update_user(
        user.id, {**roles, "roles_as_of": action.created_at.isoformat()}
    )
    if (updated.is_admin, updated.is_owner) != (roles["is_admin"], roles["is_owner"]):
        log.info("user.roles_outdated", team_id=team_id, user_id=user.id, said_at=action.created_at)
        return
    log.info("user.roles_changed", team_id=team_id, user_id=user.id, **roles)
