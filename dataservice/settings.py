"""Settings of the Data Service, read once from ``JEEVES_*`` environment variables."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from pydantic import Field, SecretStr

from jeeves_shared.runtime.settings import JeevesSettings

#: Placeholder for the at-rest encryption key(s); refused outside dev mode.
PLACEHOLDER_KEY = "change-me"


def default_database_url() -> SecretStr:
    """``sqlite+aiosqlite:///<data folder>/jeeves/jeeves-dev.db``, the folder created if missing.

    The data folder is ``$XDG_DATA_HOME``, else ``~/.local/share`` (the XDG base directory
    specification): writable by whoever runs ``jeeves dev``, wherever they start it from (the
    container image's non-root user's working directory is not theirs to write). If the folder
    cannot be created, SQLite reports it when the Data Service opens the database.
    """
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    folder = base / "jeeves"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return SecretStr(f"sqlite+aiosqlite:///{folder / 'jeeves-dev.db'}")


class DataServiceSettings(JeevesSettings):
    """Everything the Data Service needs to start.

    Environment variables: ``JEEVES_DATABASE_URL``, ``JEEVES_DATASERVICE_BIND``,
    ``JEEVES_DATASERVICE_ENCRYPTION_KEYS``, ``JEEVES_DATASERVICE_JWKS_URL``,
    ``JEEVES_DATASERVICE_JWT_ISSUER``, ``JEEVES_DATASERVICE_JWT_AUDIENCE``,
    ``JEEVES_DATASERVICE_DB_POOL_SIZE``, ``JEEVES_DATASERVICE_GZIP_MIN_BYTES``.
    """

    #: SQLAlchemy URL (fixed contract). SQLite via aiosqlite, or ``postgresql+asyncpg://``.
    database_url: SecretStr = Field(default_factory=default_database_url)
    dataservice_bind: str = "127.0.0.1:8002"
    #: Comma-separated Fernet keys (urlsafe base64, 32 bytes). The first encrypts; all decrypt,
    #: so a new key is put first and the old one kept until every token is re-encrypted.
    dataservice_encryption_keys: SecretStr = SecretStr(PLACEHOLDER_KEY)
    #: Where the TokenDealer publishes its public keys.
    dataservice_jwks_url: str = "http://127.0.0.1:8003/.well-known/jwks.json"
    dataservice_jwt_issuer: str = "jeeves-tokendealer"
    dataservice_jwt_audience: str = "dataservice"
    #: Connections kept open per process (PostgreSQL); SQLite uses its own pool.
    dataservice_db_pool_size: int = 10
    #: Responses at least this large are gzipped when the client accepts it.
    dataservice_gzip_min_bytes: int = 1024

    def encryption_keys(self) -> list[str]:
        """Return the Fernet keys, newest first; placeholders are refused outside dev mode."""
        raw = self.require_secret("dataservice_encryption_keys")
        return [key.strip() for key in raw.split(",") if key.strip()]
