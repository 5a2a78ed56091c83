"""What the TokenDealer's views share, kept on the app as ``app.extensions["tokendealer"]``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quart import current_app

from jeeves_shared.auth import TokenVerifier
from tokendealer.clients import ClientRegistry
from tokendealer.keys import KeyRing
from tokendealer.settings import TokenDealerSettings
from tokendealer.throttle import FailureThrottle


@dataclass
class Dealer:
    """Keys, clients, throttle and clock of one TokenDealer app."""

    settings: TokenDealerSettings
    keys: KeyRing
    clients: ClientRegistry
    throttle: FailureThrottle
    #: Checks tokens for ``/verify_token`` against our own keys (any audience).
    verifier: TokenVerifier
    #: Wall-clock seconds, used for token times and the throttle.
    clock: Callable[[], float]


def dealer() -> Dealer:
    """The :class:`Dealer` of the app handling the current request."""
    state: Dealer = current_app.extensions["tokendealer"]
    return state
