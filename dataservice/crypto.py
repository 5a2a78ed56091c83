"""Encryption at rest for Slack bot tokens (Fernet: AES-128-CBC + HMAC-SHA256, with rotation)."""

from __future__ import annotations

import base64
import hashlib

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from jeeves_shared.runtime.settings import SettingsError, is_placeholder

log = structlog.get_logger(__name__)

#: Deterministic so a dev database stays readable across restarts; never accepted in prod
#: (:meth:`JeevesSettings.require_secret` refuses the placeholder there).
_DEV_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"jeeves dev-only token key").digest())


class UndecryptableToken(RuntimeError):
    """A stored token was encrypted with a key that is no longer configured."""


class TokenCipher:
    """Encrypts with the newest key, decrypts with any configured key."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SettingsError("JEEVES_DATASERVICE_ENCRYPTION_KEYS holds no key")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError as exc:
            raise SettingsError(
                "JEEVES_DATASERVICE_ENCRYPTION_KEYS must be Fernet keys "
                "(32 url-safe base64-encoded bytes, comma-separated)"
            ) from exc

    @classmethod
    def from_keys(cls, keys: list[str]) -> TokenCipher:
        """Build a cipher; a placeholder (only returned in dev mode) becomes the dev key."""
        if not keys or (len(keys) == 1 and is_placeholder(keys[0])):
            log.warning("dataservice.dev_encryption_key", reason="placeholder key in dev mode")
            return cls([_DEV_KEY.decode()])
        return cls(keys)

    def encrypt(self, plaintext: str) -> str:
        """Return the Fernet token (ASCII) for ``plaintext``."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Return the plaintext of a stored token."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken as exc:
            raise UndecryptableToken("bot token encrypted with an unknown key") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt a stored token with the newest key."""
        return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")


def generate_key() -> str:
    """Return a fresh Fernet key, for ``JEEVES_DATASERVICE_ENCRYPTION_KEYS``."""
    return Fernet.generate_key().decode("ascii")
