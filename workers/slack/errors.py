"""How the poster reads Slack's failures: which codes are worth a retry, which are final."""

from __future__ import annotations

from jeeves_shared.bus import RetryLater

#: Slack error codes worth another try later; every other ``ok: false`` is final.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: The bot cannot post in the channel; the user can fix that by inviting it.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
#: The workspace's token no longer works: the installation is inactive until reinstalled.
REVOKED = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})


class TransientSlackError(RuntimeError):
    """Slack could not take the message now; the message must not be acknowledged."""


class SlackRefused(TransientSlackError):
    """Slack answered, and did not post (a 429, or a transient ``ok: false`` code)."""


class OutcomeUnknown(TransientSlackError):
    """Slack may or may not have posted (a 5xx: the answer says nothing about the message)."""


class HistoryUnavailable(RuntimeError):
    """Slack could not show the conversation just now (rate limited, or failing)."""


class ReplyInProgress(RetryLater):
    """Another poster holds this reply's claim right now; look again later."""
