"""The rules of a user's settings, shared by chat's ``config`` (workers/preferences.py) and the
dashboard (jeeves_frontend/dashboard/forms.py), so both accept exactly the same things.

Free-form keys are ``[a-z0-9_.-]{1,40}``, typed in any case (:func:`normalise_key`); values at
most :data:`MAX_VALUE` characters; at most :data:`MAX_KEYS` of them per user. (The Data Service's
own limits, 64-character keys and 2000-character values, are wider: these are the product's.)
Keys in :data:`TYPED_KEYS` name fields of the user, set through their own checks, never stored
as free-form settings.
"""

from __future__ import annotations

import re

#: The longest free-form key, in characters.
MAX_KEY_LENGTH = 40
#: A free-form key once normalised.
KEY = re.compile(rf"[a-z0-9_.-]{{1,{MAX_KEY_LENGTH}}}")
#: The longest value, in characters.
MAX_VALUE = 200
#: The most free-form keys one user may have.
MAX_KEYS = 50
#: The units chat and weather know (OpenWeatherMap's names; ``standard``, Kelvin, is not offered).
UNITS = ("metric", "imperial")
#: Keys that are typed fields of the user, with where the dashboard sets each.
TYPED_KEYS = {
    "units": "Units",
    "timezone": "Time zone",
    "location": "Location",
}


def normalise_key(key: str) -> str:
    """``key`` as it is stored: surrounding space dropped, lower case (``Theme`` is ``theme``)."""
    return key.strip().lower()
