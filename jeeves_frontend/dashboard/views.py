"""What the dashboard's views share: who is signed in, the CSRF guard and rate limits, the
request's fields, and rendering one section of the page."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from quart import Response, render_template, request
from quart_rate_limiter import RateLimit

from jeeves_frontend.dashboard import csrf
from jeeves_frontend.dashboard.errors import NotSignedIn
from jeeves_frontend.dashboard.forms import UNITS, InvalidForm, timezones
from jeeves_frontend.dashboard.sessions import HOME, current_session_id, dataservice
from jeeves_frontend.devchat import DEV_CHANNEL
from jeeves_frontend.settings import FrontendSettings
from jeeves_frontend.state import front_door
from jeeves_shared import user_settings
from jeeves_shared.dataclient import MyReminders, User
from jeeves_shared.messages import DEV_TEAM_ID

#: Where the JSON API lives.
API = "/api/me"
#: The body types a browser's form posts (and htmx) send.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def rate_limits(settings: FrontendSettings) -> list[RateLimit]:
    """Per minute: sign-in attempts per client address, and changes per session (or address)
    on the dashboard; far above a person's pace, far below a script's."""
    minute = timedelta(minutes=1)
    # quart-rate-limiter describes the first limit of the shortest period in the RateLimit-*
    # headers of every answer (a skipped one too): the changes' limit, the one a page's
    # requests spend.
    return [
        RateLimit(settings.dashboard_writes_per_minute, minute, _session_or_address, _not_write),
        RateLimit(settings.dashboard_sign_ins_per_minute, minute, _address, _not_sign_in),
    ]


#: The steps of signing in: ``jeeves dev``'s button, and Sign in with Slack's start and return.
SIGN_IN_PATHS = frozenset(
    {f"{HOME}/dev/sign-in", f"{HOME}/sign-in/slack", f"{HOME}/oauth_redirect"}
)


def is_sign_in() -> bool:
    """The request is one step of signing in (:data:`SIGN_IN_PATHS`)."""
    return request.path.rstrip("/") in SIGN_IN_PATHS


async def _address() -> str:
    return f"sign-in:{request.remote_addr}"


async def _session_or_address() -> str:
    return f"write:{current_session_id() or request.remote_addr}"


async def _not_sign_in() -> bool:
    return not is_sign_in()


async def _not_write() -> bool:
    changes = request.method not in csrf.SAFE_METHODS and not is_sign_in()
    return not (changes and request.path.startswith((HOME, API)))


async def signed_in() -> str:
    """The request's session id, after the CSRF checks for a state-changing request;
    :class:`NotSignedIn` without a session cookie."""
    session_id = current_session_id()
    if session_id is None:
        raise NotSignedIn
    await csrf.check_request(session_id, front_door().settings.allowed_origins())
    return session_id


async def fields() -> Mapping[str, Any]:
    """The submitted fields: a JSON object, or a form; :class:`InvalidForm` for anything else."""
    if request.is_json:
        try:
            body = json.loads(await request.get_data(as_text=False))
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            raise InvalidForm({"body": "Send a JSON object."})
        return body
    if request.mimetype not in FORM_TYPES:
        # Read as a form, a JSON body sent as text/plain would be an empty form: every
        # checkbox off. Refuse it instead of guessing.
        raise InvalidForm(
            {"body": "Send a JSON object (Content-Type: application/json) or a form."}, status=415
        )
    return (await request.form).to_dict()


def channel_of(user: User) -> str:
    """Where a reminder made on the dashboard is delivered: the chat page for the dev user,
    else the person's direct messages with Jeeves (Slack takes a user id as a DM channel)."""
    return DEV_CHANNEL if user.team_id == DEV_TEAM_ID else user.slack_user_id


def local_time(instant: datetime, zone: str | None) -> str:
    """``instant`` on the wall clock of ``zone`` (UTC if unset): ``Mon 30 Nov 2026, 18:05``."""
    tz = ZoneInfo(zone) if zone else UTC
    return instant.astimezone(tz).strftime("%a %d %b %Y, %H:%M")


def now() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


async def render_section(
    section: str,
    session_id: str,
    user: User,
    *,
    reminders: MyReminders | None = None,
    form: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    status: str = "",
    code: int = 200,
) -> Response:
    """One section of the page (``profile``, ``alerts``, ``config``, ``reminders``) as an
    htmx fragment."""
    if section == "reminders" and reminders is None:
        reminders = await dataservice().my_reminders(session_id)
    body = await render_template(
        f"dashboard/_{section}.html",
        **page_context(session_id, user, reminders),
        form=form or {},
        errors=errors or {},
        status=status,
    )
    return Response(body, code, content_type="text/html")


def page_context(session_id: str, user: User, reminders: MyReminders | None) -> dict[str, Any]:
    """What every section's template reads."""
    return {
        "user": user,
        "reminders": reminders,
        "csrf_token": csrf.csrf_token(session_id),
        "timezones": timezones(),
        "units": UNITS,
        "local_time": local_time,
        "is_dev": front_door().settings.is_dev,
        "setting_rules": user_settings,
    }
