"""What the front door's views share: the bus, the signature verifier, recent event ids."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class FrontDoor:
    """The front door's dependencies, kept on the app as ``app.extensions["jeeves"]``."""

    settings: FrontendSettings
    bus: Bus
    #: None when no signing secret is configured (dev mode only): Slack endpoints are off.
    verifier: SignatureVerifier | None
    recent: RecentEvents
    #: The dashboard's Data Service client, from when the app serves (tests may pass one).
    dataservice: DataServiceClient | None = None

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
