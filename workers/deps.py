"""What handlers may use: one typed dependencies class per worker kind, built by that class.

The runner opens what every kind shares (:class:`Resources`: settings, bus, pooled HTTP session,
clock) and asks the kind's dependencies class to build itself from it
(``WeatherDeps.build(resources)``). Each class declares exactly the clients its kind uses, none
of them optional unless the kind works without it, so a handler that uses a client its kind
does not build is a mypy error rather than a ``RuntimeError`` at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Self

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.auth.client import TokenClient
from jeeves_shared.bus import Bus
from jeeves_shared.bus.topology import REPLIES_EXCHANGE, reply_key
from jeeves_shared.dataclient import (
    SCHEDULER_SCOPES,
    TOKEN_SCOPES,
    WORKER_SCOPES,
    DataServiceClient,
)
from jeeves_shared.flags import Flags, SettingsProvider
from jeeves_shared.installations import BotTokens
from jeeves_shared.messages import Action, Conversation, Reply
from jeeves_shared.runtime.settings import is_placeholder
from workers.mrkdwn import escape_stray_brackets, split_message
from workers.settings import WorkerSettings
from workers.slack.client import make_slack_client
from workers.weather_api import WeatherClient


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Resources:
    """What the runner opens for every worker kind, for the kind's dependencies to build on."""

    settings: WorkerSettings
    bus: Bus
    #: The process's pooled HTTP session (closed by the runner).
    http: aiohttp.ClientSession
    clock: Callable[[], datetime] = utcnow

    def data_client(self, scopes: tuple[str, ...]) -> DataServiceClient:
        """A Data Service client asking the TokenDealer for ``scopes``.

        Raises :class:`~jeeves_shared.runtime.settings.SettingsError` if the workers' client
        secret is a placeholder outside dev mode.
        """
        settings = self.settings
        tokens = TokenClient(
            self.http,
            token_url=f"{settings.tokendealer_url.rstrip('/')}/oauth/token",
            client_id=settings.worker_client_id,
            client_secret=settings.require_secret("worker_client_secret"),
        )
        return DataServiceClient.from_token_client(
            self.http, settings.dataservice_url, tokens, scopes=scopes
        )

    def slack_client(self, *, resend: bool) -> AsyncWebClient:
        """A Slack Web API client (see :func:`make_slack_client`) holding no token: every call
        passes its installation's (``token=await tokens.get(key)``, :meth:`bot_tokens`)."""
        return make_slack_client(
            None,
            base_url=self.settings.slack_api_url,
            session=self.http,
            max_retries=self.settings.slack_max_retries,
            resend=resend,
        )

    def bot_tokens(self, data: DataServiceClient) -> BotTokens:
        """The bot tokens of the installations: fetched through ``data`` (which must carry
        ``installations:token``) when OAuth installs are on, else ``JEEVES_SLACK_BOT_TOKEN``
        for every one (:meth:`BotTokens.single`).

        Raises :class:`~jeeves_shared.runtime.settings.SettingsError` if, in one-workspace
        mode, the token is a placeholder outside dev mode.
        """
        if self.settings.serves_installations:
            return BotTokens(data)
        return BotTokens.single(self.settings.require_secret("slack_bot_token"))

    def weather_api_key(self) -> str | None:
        """The weather provider's API key, None if not configured (weather then apologises)."""
        return self.settings.weather_api_key.get_secret_value().strip() or None

    def has_slack_token(self) -> bool:
        """Whether Jeeves may call Slack: OAuth installs on, or a real bot token configured
        (lookups are skipped otherwise)."""
        return self.settings.serves_installations or not is_placeholder(
            self.settings.slack_bot_token.get_secret_value()
        )


@dataclass(frozen=True, kw_only=True)
class Deps:
    """What every handler has: the bus (to answer) and the clock. The ``help`` kind's."""

    #: The Data Service scopes the kind's token carries; none: it calls no service (the
    #: worker's start waits for this token: ``jeeves_shared.auth.startup``).
    SCOPES: ClassVar[tuple[str, ...]] = ()
    #: What the kind talks to or reads besides RabbitMQ, for its deployment (which secrets and
    #: connections its process gets): ``data`` (the Data Service, through the TokenDealer),
    #: ``slack`` (posts: needs the bot token), ``slack-lookup`` (reads, if a bot token is set),
    #: ``weather`` (the weather provider's key). ``tests/workers/test_deps.py`` checks it
    #: against the fields.
    NEEDS: ClassVar[frozenset[str]] = frozenset()

    bus: Bus
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def build(cls, resources: Resources) -> Self:
        """The dependencies of a kind that needs nothing but the bus."""
        return cls(bus=resources.bus, clock=resources.clock)

    async def reply(self, reply: Reply) -> None:
        """Publish ``reply`` towards the conversation it answers."""
        await self.bus.publish(REPLIES_EXCHANGE, reply_key(reply.conversation.origin), reply)

    async def answer(
        self, action: Action, text: str, *, to: Conversation | None = None, first_part: int = 0
    ) -> None:
        """Say ``text`` in answer to ``action`` (in ``to``, if given, else where it was asked).

        Angle brackets that are no Slack link or mention become entities
        (:func:`escape_stray_brackets`). Text longer than one Slack message is cut into parts
        (:func:`split_message`), each with its own stable id (numbered from ``first_part``), all
        in one reply: the poster posts them in order.
        """
        reply = Reply.to(action, *split_message(escape_stray_brackets(text)), part=first_part)
        if to is not None:
            reply = reply.model_copy(update={"conversation": to})
        await self.reply(reply)


@dataclass(frozen=True, kw_only=True)
class DataDeps(Deps):
    """A kind that keeps its state in the Data Service (``reminders``)."""

    SCOPES: ClassVar[tuple[str, ...]] = WORKER_SCOPES
    NEEDS: ClassVar[frozenset[str]] = frozenset({"data"})

    data: DataServiceClient

    @classmethod
    def build(cls, resources: Resources) -> Self:
        """A Data Service client with :attr:`SCOPES`."""
        return cls(bus=resources.bus, clock=resources.clock, data=resources.data_client(cls.SCOPES))


@dataclass(frozen=True, kw_only=True)
class SchedulerDeps(DataDeps):
    """The scheduler's: it claims due reminders and alerts, and routes each alert's weather
    request by the rollout flags, as the front door routes chat (``JEEVES_FLAGS``)."""

    SCOPES: ClassVar[tuple[str, ...]] = SCHEDULER_SCOPES

    flags: Flags

    @classmethod
    def build(cls, resources: Resources) -> Self:
        """A Data Service client with :attr:`SCOPES`, and the flags of ``JEEVES_FLAGS``
        (:class:`~jeeves_shared.flags.SettingsProvider`, ready before this returns), installed
        as the front door installs them."""
        return cls(
            bus=resources.bus,
            clock=resources.clock,
            data=resources.data_client(cls.SCOPES),
            flags=Flags.install(SettingsProvider(resources.settings.flag_rules())),
        )


@dataclass(frozen=True, kw_only=True)
class WeatherDeps(DataDeps):
    """The ``weather`` kind's: the user's location and units, and the weather provider."""

    NEEDS: ClassVar[frozenset[str]] = frozenset({"data", "weather"})

    weather: WeatherClient

    @classmethod
    def build(cls, resources: Resources) -> Self:
        """The Data Service and weather clients (without an API key, weather apologises)."""
        return cls(
            bus=resources.bus,
            clock=resources.clock,
            data=resources.data_client(cls.SCOPES),
            weather=WeatherClient(
                resources.http,
                base_url=resources.settings.weather_api_url,
                api_key=resources.weather_api_key(),
            ),
        )


@dataclass(frozen=True, kw_only=True)
class UserDeps(DataDeps):
    """The ``user`` kind's: location, settings, alerts and the dashboard link; and the
    installations' lifecycle events (:mod:`workers.lifecycle`)."""

    #: Also: marking installations inactive (lifecycle events), and their bot tokens
    #: (``users.info``).
    SCOPES: ClassVar[tuple[str, ...]] = (*WORKER_SCOPES, "installations:write", *TOKEN_SCOPES)
    #: ``weather``: only to warn that alerts cannot be delivered without a key.
    NEEDS: ClassVar[frozenset[str]] = frozenset({"data", "slack-lookup", "weather"})

    #: For read-only lookups (a user's time zone); None when Jeeves may not call Slack.
    slack: AsyncWebClient | None = None
    #: The installations' bot tokens, for :attr:`slack`'s calls; None with it.
    tokens: BotTokens | None = None
    #: Web address of the dashboard, for ``login``.
    dashboard_url: str = ""
    #: Whether weather is set up (``alerts on`` warns that alerts will only apologise if not).
    has_weather_key: bool = True

    @classmethod
    def build(cls, resources: Resources) -> Self:
        """The Data Service client, and a Slack client if Jeeves may call Slack."""
        data = resources.data_client(cls.SCOPES)
        slack = resources.has_slack_token()
        return cls(
            bus=resources.bus,
            clock=resources.clock,
            data=data,
            slack=resources.slack_client(resend=True) if slack else None,
            tokens=resources.bot_tokens(data) if slack else None,
            dashboard_url=resources.settings.dashboard_url,
            has_weather_key=resources.weather_api_key() is not None,
        )


def expect_action(message: Action | Reply) -> Action:
    """``message`` as an action; a reply on an action queue is a routing mistake."""
    if not isinstance(message, Action):
        raise TypeError(f"expected an action, got a {message.kind}")
    return message
