"""What handlers may use; built once per process by the runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.bus import Bus
from jeeves_shared.bus.topology import REPLIES_EXCHANGE, reply_key
from jeeves_shared.claims import ReplyClaims
from jeeves_shared.dataclient import DataServiceClient
from jeeves_shared.messages import Action, Conversation, Reply
from workers.mrkdwn import split_message
from workers.weather_api import WeatherClient


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """A handler's dependencies. Handlers never see aio-pika objects.

    Each worker kind gets only what it declared it needs; the others stay None.
    """

    bus: Bus
    #: The process's pooled HTTP session.
    http: aiohttp.ClientSession | None = None
    slack: AsyncWebClient | None = None
    data: DataServiceClient | None = None
    weather: WeatherClient | None = None
    #: Batched leased claims in the Data Service (the Slack poster's).
    claims: ReplyClaims | None = None
    #: Web address of the dashboard, for ``login``.
    dashboard_url: str = ""
    #: Where slash-command answers may be posted (anything else is refused).
    response_url_prefix: str = "https://hooks.slack.com/"
    clock: Callable[[], datetime] = field(default=utcnow)

    async def reply(self, reply: Reply) -> None:
        """Publish ``reply`` towards the conversation it answers."""
        await self.bus.publish(REPLIES_EXCHANGE, reply_key(reply.conversation.origin), reply)

    async def answer(
        self, action: Action, text: str, *, to: Conversation | None = None, first_part: int = 0
    ) -> None:
        """Say ``text`` in answer to ``action`` (in ``to``, if given, else where it was asked).

        Text longer than one Slack message is sent as several, each with its own stable id.
        """
        for part, chunk in enumerate(split_message(text), start=first_part):
            reply = Reply.to(action, chunk, part=part)
            if to is not None:
                reply = reply.model_copy(update={"conversation": to})
            await self.reply(reply)

    def need_data(self) -> DataServiceClient:
        """The Data Service client; a worker kind without one is misconfigured."""
        if self.data is None:
            raise RuntimeError("this worker kind has no Data Service client")
        return self.data

    def need_claims(self) -> ReplyClaims:
        """The claims client; a worker kind without one is misconfigured."""
        if self.claims is None:
            raise RuntimeError("this worker kind has no claims client")
        return self.claims


def expect_action(message: Action | Reply) -> Action:
    """``message`` as an action; a reply on an action queue is a routing mistake."""
    if not isinstance(message, Action):
        raise TypeError(f"expected an action, got a {message.kind}")
    return message
