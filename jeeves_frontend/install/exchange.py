"""Turn the ``code`` of Slack's redirect into an installation: ``oauth.v2.access``, then
``auth.test`` with the new bot token (the bot id is not in ``oauth.v2.access``'s answer).

Slack's answers are read through pydantic models: what Slack sends is trusted for its meaning
(it came over TLS from Slack, in answer to our client secret) but not for its shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.dataclient.models import NewInstallation

log = structlog.get_logger(__name__)

Model = TypeVar("Model", bound=BaseModel)


class SlackRefused(Exception):
    """Slack answered ``ok: false`` (``invalid_code``, ``bad_redirect_uri`` ...) or an answer
    Jeeves cannot use; ``error`` is Slack's code (or ours, ``unreadable_answer``)."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


class SlackUnavailable(Exception):
    """Slack did not answer (network, timeout, 5xx, rate limited): trying again may work."""


class _Named(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)


class _AuthedUser(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=40)


class OAuthAccess(BaseModel):
    """The fields of ``oauth.v2.access``'s answer (a bot install) that Jeeves keeps.

    ``team`` is null for an org-wide install (``is_enterprise_install``), ``enterprise`` outside
    Enterprise Grid. ``refresh_token`` and ``expires_in`` (seconds) come with token rotation on.
    """

    model_config = ConfigDict(extra="ignore")

    access_token: str = Field(min_length=1, max_length=500)
    token_type: str = "bot"  # noqa: S105 - the kind of token, not a secret
    scope: str = Field(default="", max_length=5000)
    bot_user_id: str = Field(min_length=1, max_length=40)
    app_id: str | None = Field(default=None, max_length=40)
    team: _Named | None = None
    enterprise: _Named | None = None
    is_enterprise_install: bool = False
    authed_user: _AuthedUser | None = None
    refresh_token: str | None = Field(default=None, max_length=500)
    expires_in: int | None = Field(default=None, gt=0)


class _AuthTest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    bot_id: str | None = Field(default=None, max_length=40)
    user_id: str | None = Field(default=None, max_length=40)


@dataclass(frozen=True)
class Installed:
    """An install Slack confirmed: what to store, and the name of where it went."""

    installation: NewInstallation
    #: The workspace's name, or the Enterprise Grid org's for an org-wide install.
    workspace_name: str


@dataclass(frozen=True)
class OAuthClient:
    """The Slack app's credentials and the Web API to exchange codes at."""

    client_id: str
    client_secret: str
    redirect_uri: str
    slack: AsyncWebClient
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


async def exchange_code(client: OAuthClient, code: str) -> Installed:
    """Exchange ``code`` for the bot's tokens and identity.

    Raises :class:`SlackRefused` or :class:`SlackUnavailable`.
    """
    access = _read(
        OAuthAccess,
        "oauth.v2.access",
        await _call(
            "oauth.v2.access",
            client.slack.oauth_v2_access(
                client_id=client.client_id,
                client_secret=client.client_secret,
                code=code,
                redirect_uri=client.redirect_uri,
            ),
        ),
    )
    is_bot = access.token_type == "bot"  # noqa: S105 - the kind of token, not a secret
    if not is_bot or (access.team is None and not access.is_enterprise_install):
        raise SlackRefused("oauth.v2.access", "not_a_bot_install")
    who = _read(
        _AuthTest,
        "auth.test",
        await _call("auth.test", client.slack.auth_test(token=access.access_token)),
    )
    return Installed(to_installation(access, who.bot_id, now=client.clock()), _name(access))


def to_installation(access: OAuthAccess, bot_id: str | None, *, now: datetime) -> NewInstallation:
    """What to store for ``access``: a pure function. An org-wide install has no team id."""
    expires = now + timedelta(seconds=access.expires_in) if access.expires_in else None
    return NewInstallation(
        enterprise_id=access.enterprise.id if access.enterprise else None,
        team_id=None if access.is_enterprise_install or not access.team else access.team.id,
        is_enterprise_install=access.is_enterprise_install,
        app_id=access.app_id,
        bot_user_id=access.bot_user_id,
        bot_id=bot_id,
        bot_scopes=[scope for scope in access.scope.split(",") if scope],
        installer_user_id=access.authed_user.id if access.authed_user else None,
        bot_token=SecretStr(access.access_token),
        bot_refresh_token=SecretStr(access.refresh_token) if access.refresh_token else None,
        bot_token_expires_at=expires if access.refresh_token else None,
    )


def _name(access: OAuthAccess) -> str:
    where = access.enterprise if access.is_enterprise_install else access.team
    return (where.name or where.id) if where else "your workspace"


async def _call(method: str, call: Any) -> dict[str, Any]:
    """Await one Web API ``call``: its answer's data, or the error that says what to do."""
    try:
        answer = await call
    except SlackApiError as exc:
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or f"http_{status}")[:100]
        log.warning("install.slack_error", method=method, status=status, error=error)
        if status >= 500 or status == 429:
            raise SlackUnavailable(method) from None
        raise SlackRefused(method, error) from None
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("install.slack_unreachable", method=method, error=type(exc).__name__)
        raise SlackUnavailable(method) from None
    return answer.data if isinstance(answer.data, dict) else {}


def _read(model: type[Model], method: str, data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        log.warning("install.slack_answer_unreadable", method=method, errors=exc.error_count())
        raise SlackRefused(method, "unreadable_answer") from None
