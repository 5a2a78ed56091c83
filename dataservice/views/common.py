"""What every view needs: the app's resources, the clock, and JSON responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, SecretStr
from quart import Response, current_app

from dataservice.bot_tokens import SlackRefresher
from dataservice.crypto import TokenCipher
from dataservice.db import Database

EXTENSION_KEY = "jeeves.dataservice"


@dataclass(frozen=True)
class Resources:
    """Lives on the app while it serves (``app.extensions``)."""

    database: Database
    cipher: TokenCipher
    clock: Callable[[], datetime]
    #: Refreshes rotating bot tokens at Slack.
    refresher: SlackRefresher


def resources() -> Resources:
    """The resources of the app handling the current request."""
    found: Resources = current_app.extensions[EXTENSION_KEY]
    return found


def json_response(
    model: BaseModel,
    status: int = 200,
    *,
    etag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Serialize ``model`` as the JSON body, with an optional strong ETag."""
    response = Response(model.model_dump_json(), status=status, content_type="application/json")
    if etag is not None:
        response.set_etag(etag)
    response.headers.update(headers or {})
    return response


def to_plain(values: dict[str, Any]) -> dict[str, Any]:
    """Reveal :class:`SecretStr` values, for the one place that encrypts them."""
    return {
        name: value.get_secret_value() if isinstance(value, SecretStr) else value
        for name, value in values.items()
    }
