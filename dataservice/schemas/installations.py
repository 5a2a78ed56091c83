"""Inputs of ``/api/v1/installations``; the answers are
:class:`~jeeves_shared.dataclient.models.Installation` and ``BotToken``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, model_validator

from dataservice.schemas.types import (
    InputModel,
    Instant,
    OAuthScope,
    QueryModel,
    SlackBotToken,
    SlackId,
    SlackRefreshToken,
)

# Why an installation became inactive: a short code (app_uninstalled, tokens_revoked...).
Reason = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
#: Slack's rotating tokens live 12 hours; asking for more than 6 could never be satisfied.
MAX_VALIDITY_SECONDS = 6 * 3600


def check_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> None:
    """An org-wide install names its enterprise and no team; any other names its team."""
    if is_enterprise_install and (enterprise_id is None or team_id is not None):
        raise ValueError("an org-wide install has an enterprise_id and no team_id")
    if not is_enterprise_install and team_id is None:
        raise ValueError("team_id is required unless is_enterprise_install")


#: The key's rule in JSON Schema, so that the OpenAPI document states what the validator checks.
KEY_RULE: dict[str, Any] = {
    "if": {
        "properties": {"is_enterprise_install": {"const": True}},
        "required": ["is_enterprise_install"],
    },
    "then": {
        "properties": {"enterprise_id": {"type": "string"}, "team_id": {"type": "null"}},
        "required": ["enterprise_id"],
    },
    "else": {"properties": {"team_id": {"type": "string"}}, "required": ["team_id"]},
}
#: A refresh token and its expiry come together, or neither does.
ROTATION_RULE: dict[str, Any] = {
    "if": {
        "properties": {"bot_refresh_token": {"type": "string"}},
        "required": ["bot_refresh_token"],
    },
    "then": {
        "properties": {"bot_token_expires_at": {"type": "string"}},
        "required": ["bot_token_expires_at"],
    },
    "else": {"properties": {"bot_token_expires_at": {"type": "null"}}},
}


def _with_rules(*rules: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def extend(schema: dict[str, Any]) -> None:
        schema["allOf"] = [*schema.get("allOf", []), *rules]

    return extend


class KeyFields(InputModel):
    """Which installation: Slack's (``enterprise_id``, ``team_id``)."""

    model_config = ConfigDict(json_schema_extra=_with_rules(KEY_RULE))

    enterprise_id: SlackId | None = None
    team_id: SlackId | None = None
    is_enterprise_install: bool = False

    @model_validator(mode="after")
    def _check_key(self) -> Self:
        check_key(self.enterprise_id, self.team_id, self.is_enterprise_install)
        return self


class InstallationSave(KeyFields):
    """Body of ``PUT /installations``: what the OAuth install learnt.

    ``bot_refresh_token`` and ``bot_token_expires_at`` come together (token rotation on), or
    neither does.
    """

    model_config = ConfigDict(json_schema_extra=_with_rules(KEY_RULE, ROTATION_RULE))

    app_id: SlackId | None = None
    bot_user_id: SlackId
    bot_id: SlackId | None = None
    bot_scopes: list[OAuthScope] = Field(default_factory=list, max_length=100)
    installer_user_id: SlackId | None = None
    bot_token: SlackBotToken
    bot_refresh_token: SlackRefreshToken | None = None
    bot_token_expires_at: Instant | None = None

    @model_validator(mode="after")
    def _check_rotation(self) -> Self:
        if (self.bot_refresh_token is None) != (self.bot_token_expires_at is None):
            raise ValueError("bot_refresh_token and bot_token_expires_at come together")
        return self


class Deactivation(KeyFields):
    """Body of ``POST /installations/deactivate``."""

    reason: Reason


class TokenRequest(KeyFields):
    """Body of ``POST /installations/bot-token``: the token must stay valid this long."""

    min_valid_seconds: int = Field(default=600, ge=0, le=MAX_VALIDITY_SECONDS)


class InstallationLookup(QueryModel):
    """Query of ``GET /installations/lookup``. Any combination is a question (a key that names
    nothing finds nothing): query parameters cannot state a rule across them."""

    enterprise_id: SlackId | None = None
    team_id: SlackId | None = None
    is_enterprise_install: bool = False
