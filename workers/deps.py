"""What handlers may use; built once per process by the runner."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.bus import Bus
from jeeves_shared.messages import Reply
from jeeves_shared.topology import REPLIES_EXCHANGE, reply_key


@dataclass(frozen=True)
class Deps:
    """A handler's dependencies. Handlers never see aio-pika objects."""

    bus: Bus
    #: Only the Slack poster has a Slack client.
    slack: AsyncWebClient | None = None

    async def reply(self, reply: Reply) -> None:
        """Publish ``reply`` towards the conversation it answers."""
        await self.bus.publish(REPLIES_EXCHANGE, reply_key(reply.conversation.origin), reply)
