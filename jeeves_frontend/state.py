"""What the front door's views share: the bus, the signature verifier, recent event ids, the
Data Service client."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from quart import current_app
from slack_sdk.signature import SignatureVerifier

from jeeves_frontend.recent import RecentEvents
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus import Bus
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, action_key
from jeeves_shared.dataclient import DataServiceClient
from jeeves_shared.messages import Action

log = structlog.get_logger(__name__)


class DataServiceNotConfigured(RuntimeError):
    """The front door has no Data Service client: JEEVES_FRONTEND_CLIENT_SECRET is not set."""


@dataclass
class FrontDoor:
    """The front door's dependencies, kept on the app as ``app.extensions["jeeves"]``."""

    settings: FrontendSettings
    bus: Bus
    #: None when no signing secret is configured (dev mode only): Slack endpoints are off.
    verifier: SignatureVerifier | None
    recent: RecentEvents
    #: Set while the app serves, when a client secret is configured (see :attr:`dataservice`).
    data_client: DataServiceClient | None = field(default=None)

    @property
    def dataservice(self) -> DataServiceClient:
        """The front door's Data Service client (scopes ``installations:read`` and
        ``installations:write``, plus the dashboard's).

        Raises :class:`DataServiceNotConfigured` without ``JEEVES_FRONTEND_CLIENT_SECRET``
        (outside dev mode), or before the app serves.
        """
        if self.data_client is None:
            raise DataServiceNotConfigured("set JEEVES_FRONTEND_CLIENT_SECRET")
        return self.data_client

    async def publish(self, action: Action) -> None:
        """Publish ``action`` unless this process already published it (a Slack retry).

        Raises :class:`~jeeves_shared.bus.BusUnavailable` when the broker does not confirm:
        the caller answers 503 so that Slack delivers the event again.
        """
        if action.id in self.recent:
            log.info("event.duplicate_skipped", event_id=action.id)
            return
        await self.bus.publish(ACTIONS_EXCHANGE, action_key(action.command), action)
        self.recent.add(action.id)
        log.info("event.published", event_id=action.id, command=action.command)


def front_door() -> FrontDoor:
    """The :class:`FrontDoor` of the app handling the current request."""
    door: FrontDoor = current_app.extensions["jeeves"]
    return door
