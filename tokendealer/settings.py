"""Settings of the TokenDealer (``JEEVES_TOKENDEALER_*``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from jeeves_shared.auth import DEFAULT_ISSUER
from jeeves_shared.runtime.settings import JeevesSettings


class TokenDealerSettings(JeevesSettings):
    """``JEEVES_*`` settings the TokenDealer reads."""

    tokendealer_issuer: str = Field(default=DEFAULT_ISSUER, min_length=1)
    """The ``iss`` claim; verifiers must be configured with the same value."""
    tokendealer_token_lifetime: int = Field(default=900, ge=60, le=86_400)
    """Seconds an access token lives (``exp - iat``)."""
    tokendealer_key_files: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    """Private key PEM files, oldest first (all published, the last signs); comma-separated."""
    tokendealer_signing_kid: str | None = None
    """Sign with this ``kid`` instead of the newest key (first step of a rotation)."""
    tokendealer_clients_file: Path | None = None
    """A JSON or TOML file describing the clients (see docs/tokendealer.md)."""
    tokendealer_clients: SecretStr | None = None
    """The same description inline, as JSON (for containers); exclusive with the file."""
    tokendealer_max_failures: int = Field(default=5, ge=1)
    """Failed client authentications allowed per client id per window before 429."""
    tokendealer_failure_window: float = Field(default=60.0, gt=0)
    """Seconds of that window."""
    tokendealer_jwks_max_age: int = Field(default=300, ge=0)
    """``Cache-Control: max-age`` of the JWKS."""

    @field_validator("tokendealer_key_files", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [part.strip() for part in value.split(",") if part.strip()]
