"""The local chat page of ``jeeves dev``: talk to Jeeves without a Slack workspace.

``POST /dev/chat/messages`` publishes an action exactly as a Slack event would;
the worker's reply comes back on ``reply.devchat`` into a :class:`ChatLog`, which the page (or
any HTTP client, such as ``curl``) reads by long-polling ``GET /dev/chat/messages?after=<id>``.
Both answers name the log's ``conversation`` (new each run), so a client knows for sure when
``jeeves dev`` restarted and its ids began again at 1. A post may carry an ``Idempotency-Key``
header (one per message, the same on every resend of it): a repeat is answered with the
original result and not published again.
Only ``jeeves dev`` mounts this blueprint: it has no authentication.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from cachetools import TTLCache
from pydantic import BaseModel, Field, ValidationError
from quart import Blueprint, current_app, render_template, request

from jeeves_frontend.pages import PAGE_POLICY
from jeeves_frontend.slack_text import SafeText
from jeeves_frontend.state import front_door
from jeeves_shared.commands import parse_command
from jeeves_shared.messages import DEV_TEAM_ID, Action, Conversation, Reply

blueprint = Blueprint("devchat", __name__, template_folder="templates")

DEV_CHANNEL, DEV_USER = "DDEVCHAT", "UDEV"
#: Longest a poll waits for new messages before answering with none.
MAX_WAIT = 25.0
#: Most characters (code points) in one message; the page's input has the same ``maxlength``.
MAX_TEXT = 4000
#: ``Idempotency-Key`` values the page makes: 32 hex digits; a UUID or any short token will do.
_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


@dataclass(frozen=True)
class ChatMessage:
    """One line of the conversation."""

    id: int
    sender: Literal["you", "jeeves"]
    text: str
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class KeyReused(Exception):
    """An ``Idempotency-Key`` came again with another message's text."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was sent with another message")
        self.key = key


class ChatLog:
    """The last ``limit`` messages of the dev conversation, with a way to wait for new ones.

    It also remembers what the ``remembered`` most recent ``Idempotency-Key`` values (each for
    ``key_ttl`` seconds) were answered with, so that a resent message is not acted on twice.
    """

    def __init__(self, limit: int = 500, *, remembered: int = 1000, key_ttl: float = 86400) -> None:
        #: New for each log (each run of ``jeeves dev``): message ids restart at 1 with it.
        self.conversation = uuid.uuid4().hex
        self._messages: deque[ChatMessage] = deque(maxlen=limit)
        self._next_id = 1
        self._changed = asyncio.Condition()
        self._closed = False
        self._answered: TTLCache[str, tuple[str, ChatMessage]] = TTLCache(remembered, key_ttl)
        # One send at a time: a resend racing its original (the page gave up, the server had
        # not) then finds the original's result instead of publishing too. A person types
        # slower than the in-process bus publishes, so nobody waits for this lock.
        self._sending = asyncio.Lock()

    async def add(self, sender: Literal["you", "jeeves"], text: str) -> ChatMessage:
        """Append a message and wake every waiting poll."""
        message = ChatMessage(self._next_id, sender, text)
        self._next_id += 1
        async with self._changed:
            self._messages.append(message)
            self._changed.notify_all()
        return message

    async def say(
        self, text: str, publish: Callable[[], Awaitable[None]], *, key: str | None = None
    ) -> tuple[ChatMessage, bool]:
        """Add the person's ``text`` and ``publish`` it, once per ``key``.

        Returns the message and whether this was a repeat of ``key`` (then it is the original
        message, and nothing is added or published). Raises :class:`KeyReused` when ``key``
        came with other text, and whatever ``publish`` raises; a key whose publish failed is
        not remembered, so sending it again tries again.
        """
        async with self._sending:
            if key is not None and (earlier := self._answered.get(key)) is not None:
                said, message = earlier
                if said != text:
                    raise KeyReused(key)
                return message, True
            message = await self.add("you", text)
            await publish()
            if key is not None:
                self._answered[key] = (text, message)
            return message, False

    def after(self, last_id: int) -> list[ChatMessage]:
        """Messages newer than ``last_id``."""
        return [m for m in self._messages if m.id > last_id]

    async def close(self) -> None:
        """Answer every waiting poll now, and every later one at once.

        A server stops only once its requests are done: without this, an open chat page's
        long poll would hold ``jeeves dev`` up to ``MAX_WAIT`` seconds after Ctrl-C.
        """
        async with self._changed:
            self._closed = True
            self._changed.notify_all()

    async def wait_after(self, last_id: int, timeout: float) -> list[ChatMessage]:
        """Messages newer than ``last_id``, waiting up to ``timeout`` s for one to arrive
        (not at all once the log is closed)."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self._closed or bool(self.after(last_id))),
                    timeout,
                )
            except TimeoutError:
                return []
        return self.after(last_id)

    async def deliver(self, message: Action | Reply) -> None:
        """Bus handler for ``reply.devchat``: show Jeeves' answer on the page."""
        if isinstance(message, Reply):
            await self.add("jeeves", message.text)


class ChatInput(BaseModel):
    """What the page posts."""

    text: Annotated[SafeText, Field(min_length=1, max_length=MAX_TEXT)]


def chat_log() -> ChatLog:
    """The chat log of the running app."""
    log: ChatLog = current_app.extensions["jeeves.chat"]
    return log


@blueprint.get("/")
@blueprint.get("/dev/chat")
async def page() -> tuple[str, int, dict[str, str]]:
    """The chat page (its script and style are in ``jeeves_frontend/static``)."""
    page = await render_template("chat.html", max_text=MAX_TEXT)
    return page, 200, {"Content-Security-Policy": PAGE_POLICY}


@blueprint.post("/dev/chat/messages")
async def post_message() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Say something to Jeeves: 202 with ``{"conversation", "message"}``.

    422 ``message_too_long`` (with ``max_length``) past :data:`MAX_TEXT` characters,
    ``invalid_message`` for anything else unreadable (a bad ``Idempotency-Key`` too),
    ``idempotency_key_reused`` for a key sent before with other text. A repeated key gets the
    first answer again, with ``Idempotent-Replayed: true``.
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _KEY.fullmatch(key):
        detail = "Idempotency-Key must be 1 to 100 letters, digits or _.:-"
        return {"error": "invalid_message", "detail": detail}, 422, {}
    try:
        # JSON only: a page on another site cannot post JSON here without a CORS preflight.
        said = ChatInput.model_validate(await _json_body())
    except ValidationError as exc:
        return _refusal(exc), 422, {}
    text = said.text.strip()
    if not text:
        return {"error": "invalid_message", "detail": "text is blank"}, 422, {}
    log = chat_log()
    try:
        message, repeat = await log.say(
            text, lambda: front_door().publish(to_dev_action(text)), key=key
        )
    except KeyReused as exc:
        return {"error": "idempotency_key_reused", "detail": str(exc)}, 422, {}
    replayed = {"Idempotent-Replayed": "true"} if repeat else {}
    return {"conversation": log.conversation, "message": asdict(message)}, 202, replayed


@blueprint.get("/dev/chat/messages")
async def get_messages() -> tuple[dict[str, Any], int]:
    """``{"conversation", "messages"}``: messages after ``?after=<id>``, waiting up to
    ``?wait=<seconds>`` for new ones."""
    after = request.args.get("after", 0, type=int)
    wait = min(request.args.get("wait", 0.0, type=float), MAX_WAIT)
    log = chat_log()
    messages = log.after(after) or (await log.wait_after(after, wait) if wait > 0 else [])
    return {"conversation": log.conversation, "messages": [asdict(m) for m in messages]}, 200


def _refusal(exc: ValidationError) -> dict[str, Any]:
    """The 422 body for a post that does not validate: too long is said as such."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    # SafeText's validator runs first, so pydantic says "too_long", not "string_too_long".
    if any(e["loc"] == ("text",) and e["type"] in ("too_long", "string_too_long") for e in errors):
        too_long = f"text is longer than {MAX_TEXT} characters"
        return {"error": "message_too_long", "max_length": MAX_TEXT, "detail": too_long}
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    return {"error": "invalid_message", "detail": detail}


async def _json_body() -> Any:
    """The request's JSON, or None when it is not JSON (even nested past the parser's stack)."""
    if not request.is_json:
        return None
    body = await request.get_data(as_text=False)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def to_dev_action(text: str) -> Action:
    """The action for a line typed on the chat page: a direct message from the dev user.

    ``@jeeves help`` and ``/jeeves help``, as the README teaches for Slack, work here too:
    :func:`~jeeves_shared.commands.parse_command` drops Jeeves' name however it is written.
    """
    parsed = parse_command(text)
    return Action(
        id=f"dev-{uuid.uuid4().hex}",
        command=parsed.command,
        args=parsed.args,
        text=text,
        conversation=Conversation(
            origin="devchat",
            team_id=DEV_TEAM_ID,
            channel_id=DEV_CHANNEL,
            user_id=DEV_USER,
            is_direct_message=True,
        ),
    )
