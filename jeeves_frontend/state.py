"""What the front door's views share: the bus, the signature verifier, recent event ids."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from quart import current_app
from slack_sdk.signature import SignatureVerifier

from jeeves_frontend.recent import RecentEvents
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus import Bus
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE
from jeeves_shared.flags import Flags, action_routing_key
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
    #: Feature flags; they choose the routing key of an action whose worker is rolled out.
    flags: Flags

    async def publish(self, action: Action) -> bool:
        """Publish ``action`` unless this process already published it (a Slack retry).

        Returns False for such a duplicate, True once the broker confirmed. Raises
        :class:`~jeeves_shared.bus.BusUnavailable` when the broker does not confirm:
        the caller answers 503 so that Slack delivers the event again.
        """
        if action.id in self.recent:
            log.info("event.duplicate_skipped", event_id=action.id)
            return False
        routing_key = await action_routing_key(action, self.flags)
        await self.bus.publish(ACTIONS_EXCHANGE, routing_key, action)
        self.recent.add(action.id)
        log.info(
            "event.published", event_id=action.id, command=action.command, routing_key=routing_key
        )
        return True


def front_door() -> FrontDoor:
    """The :class:`FrontDoor` of the app handling the current request."""
    door: FrontDoor = current_app.extensions["jeeves"]
    return door
