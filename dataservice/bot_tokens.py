"""Fresh bot tokens: refresh a rotating token once, whoever asks and however many at once.

Slack's refresh tokens are single-use: if two processes refresh the same installation at once,
the second is refused (``invalid_refresh_token``) and, worse, may hold a pair that no longer
works. So :func:`fresh_bot_token` refreshes inside one transaction that locks the installation's
row, re-reads it, refreshes only if it is still expiring, and stores the new pair before
answering; everyone waiting on the lock then reads the new pair. The lock is the database's, so
this holds across every process and pod sharing it (see ``docs/dataservice.md``).

The refresh itself is Slack's ``oauth.v2.access`` with ``grant_type=refresh_token``, called
through slack_sdk's ``AsyncWebClient``; the client credentials go as HTTP Basic auth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice import queries
from dataservice.crypto import TokenCipher
from dataservice.db import Database
from dataservice.errors import InstallationInactive, SlackUnavailable
from dataservice.queries.installations import Key, StoredToken
from jeeves_shared.dataclient import models as wire

log = structlog.get_logger(__name__)

#: Seconds a refresh waits for Slack. The installation stays locked meanwhile, and on SQLite
#: every other writer waits too: kept well under SQLite's 10 s lock wait.
SLACK_TIMEOUT = 5
#: Slack's answers that mean the refresh token will never work again: the installation is
#: lost until the app is installed again.
REFUSALS = frozenset(
    {
        "invalid_refresh_token",
        "token_revoked",
        "invalid_auth",
        "account_inactive",
        "app_uninstalled",
    }
)
#: Why an installation whose refresh Slack refused is inactive.
REFRESH_REFUSED = "refresh_refused"


@dataclass(frozen=True)
class Refreshed:
    """A new token pair from Slack."""

    token: str
    refresh_token: str
    expires_at: datetime


class RefreshRefused(Exception):
    """Slack refused the refresh token (``error`` is Slack's code)."""

    def __init__(self, error: str) -> None:
        super().__init__(f"Slack refused the refresh token: {error}")
        self.error = error


class SlackRefresher:
    """Refreshes bot tokens at Slack (``oauth.v2.access``, ``grant_type=refresh_token``).

    ``credentials`` are the Slack app's client id and secret; ``None`` when not configured (a
    refresh is then :class:`SlackUnavailable`: an operator must set them).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        credentials: tuple[str, str] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self._slack = AsyncWebClient(base_url=base_url, session=session, timeout=SLACK_TIMEOUT)

    async def refresh(self, refresh_token: str) -> Refreshed:
        """The new pair; :class:`RefreshRefused` if Slack will never accept this refresh
        token, :class:`SlackUnavailable` for anything that may work later."""
        if self._credentials is None:
            log.error(
                "installation.refresh_not_configured",
                reason="set JEEVES_SLACK_CLIENT_ID and JEEVES_SLACK_CLIENT_SECRET",
            )
            raise SlackUnavailable("the Slack app's client credentials are not configured")
        client_id, client_secret = self._credentials
        asked_at = self._clock()
        # What AsyncWebClient.oauth_v2_access sends, but with the Basic credentials as a header
        # we encode: slack_sdk 3.48 builds an aiohttp.BasicAuth for them, deprecated in aiohttp
        # 3.14 (a DeprecationWarning on every refresh).
        authorization = aiohttp.encode_basic_auth(client_id, client_secret)
        try:
            response = await self._slack.api_call(
                "oauth.v2.access",
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                headers={"Authorization": authorization},
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) or f"HTTP {exc.response.status_code}"
            if error in REFUSALS:
                raise RefreshRefused(error) from None
            raise SlackUnavailable(f"Slack answered {error}") from None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            raise SlackUnavailable(f"Slack unreachable ({type(exc).__name__})") from None
        return _refreshed(response.data, asked_at)


def _refreshed(data: object, asked_at: datetime) -> Refreshed:
    """The pair in ``oauth.v2.access``'s answer; an answer without one is Slack failing."""
    if not isinstance(data, dict):
        raise SlackUnavailable("Slack's answer is not JSON")
    token, refresh, expires_in = (
        data.get("access_token"),
        data.get("refresh_token"),
        data.get("expires_in"),
    )
    if not (isinstance(token, str) and isinstance(refresh, str) and isinstance(expires_in, int)):
        raise SlackUnavailable("Slack's answer lacks the new token, refresh token or expiry")
    # From when we asked: the token may have been issued a little before the answer arrived.
    return Refreshed(token, refresh, asked_at + timedelta(seconds=expires_in))


def _is_fresh(stored: StoredToken, now: datetime, min_valid: timedelta) -> bool:
    return stored.expires_at is None or stored.expires_at - now >= min_valid


def _answer(stored: StoredToken, key: Key) -> wire.BotToken:
    if not stored.active or stored.token is None:
        raise InstallationInactive(key, None if stored.active else "inactive")
    return wire.BotToken(
        token=stored.token,
        expires_at=stored.expires_at,
        bot_user_id=stored.bot_user_id,
        bot_id=stored.bot_id,
    )


async def fresh_bot_token(
    database: Database,
    key: Key,
    *,
    min_valid: timedelta,
    cipher: TokenCipher,
    refresher: SlackRefresher,
    clock: Callable[[], datetime],
) -> wire.BotToken:
    """A bot token of the installation serving ``key``, valid ``min_valid`` more.

    Raises :class:`~dataservice.errors.RecordNotFound`, :class:`InstallationInactive` (also
    after Slack refused the refresh: the installation is then marked inactive, logged once, by
    the one caller that asked Slack), or :class:`SlackUnavailable` (nothing changed).
    """
    async with database.reader.connect() as conn:
        row_id, _ = await queries.find_installation(conn, key)
        seen = await queries.read_token(conn, row_id, cipher=cipher)
    if not seen.active or _is_fresh(seen, clock(), min_valid):
        return _answer(seen, key)  # the usual case: no lock, no write
    refused: RefreshRefused | None = None
    async with database.engine.begin() as conn:
        await queries.lock_installation(conn, row_id)
        stored = await queries.read_token(conn, row_id, cipher=cipher, lock=True)
        # Refreshed by another caller while this one waited: theirs is as fresh as Slack makes
        # them (refreshing again would only spend the new refresh token).
        unchanged = stored.token == seen.token
        if stored.active and unchanged and not _is_fresh(stored, clock(), min_valid):
            try:
                stored = await _refresh(conn, stored, key, cipher, refresher, clock)
            except RefreshRefused as exc:
                refused = exc
                await queries.deactivate_installation(
                    conn, row_id, reason=REFRESH_REFUSED, now=clock()
                )
    if refused is not None:
        # Logged here, after the commit, by the only caller that asked Slack.
        log.warning("installation.refresh_refused", installation=str(key), error=refused.error)
        raise InstallationInactive(key, REFRESH_REFUSED)
    return _answer(stored, key)


async def _refresh(
    conn: AsyncConnection,
    stored: StoredToken,
    key: Key,
    cipher: TokenCipher,
    refresher: SlackRefresher,
    clock: Callable[[], datetime],
) -> StoredToken:
    """Ask Slack for a new pair and store it (the row is locked); the stored pair."""
    if stored.refresh_token is None:
        raise RefreshRefused("no_refresh_token")
    new = await refresher.refresh(stored.refresh_token)
    await queries.store_token(
        conn,
        stored.id,
        token=new.token,
        refresh_token=new.refresh_token,
        expires_at=new.expires_at,
        cipher=cipher,
        now=clock(),
    )
    log.info("installation.token_refreshed", installation=str(key), expires_at=new.expires_at)
    return StoredToken(
        id=stored.id,
        active=True,
        token=new.token,
        refresh_token=new.refresh_token,
        expires_at=new.expires_at,
        bot_user_id=stored.bot_user_id,
        bot_id=stored.bot_id,
    )
