"""The local chat page of ``jeeves dev``: talk to Jeeves without a Slack workspace.

``POST /dev/chat/messages`` publishes an action exactly as a Slack event would;
the worker's reply comes back on ``reply.devchat`` into a :class:`ChatLog`, which the page (or
any HTTP client, such as ``curl``) reads by long-polling ``GET /dev/chat/messages?after=<id>``.
Only ``jeeves dev`` mounts this blueprint: it has no authentication.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError
from quart import Blueprint, current_app, render_template, request

from jeeves_frontend.slack_text import SafeText
from jeeves_frontend.state import front_door
from jeeves_shared.commands import parse_command
from jeeves_shared.messages import DEV_TEAM_ID, Action, Conversation, Reply

blueprint = Blueprint("devchat", __name__, template_folder="templates")

DEV_CHANNEL, DEV_USER = "DDEVCHAT", "UDEV"
#: Longest a poll waits for new messages before answering with none.
MAX_WAIT = 25.0
#: The page runs only its own files (jeeves_frontend/static): no inline script or style, nothing
#: from another origin, so even a flaw in how it shows a message cannot run injected code.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class ChatMessage:
    """One line of the conversation."""

    id: int
    sender: Literal["you", "jeeves"]
    text: str
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class ChatLog:
    """The last ``limit`` messages of the dev conversation, with a way to wait for new ones."""

    def __init__(self, limit: int = 500) -> None:
        self._messages: deque[ChatMessage] = deque(maxlen=limit)
        self._next_id = 1
        self._changed = asyncio.Condition()
        self._closed = False

    async def add(self, sender: Literal["you", "jeeves"], text: str) -> ChatMessage:
        """Append a message and wake every waiting poll."""
        message = ChatMessage(self._next_id, sender, text)
        self._next_id += 1
        async with self._changed:
            self._messages.append(message)
            self._changed.notify_all()
        return message

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

    text: Annotated[SafeText, Field(min_length=1, max_length=4000)]


def chat_log() -> ChatLog:
    """The chat log of the running app."""
    log: ChatLog = current_app.extensions["jeeves.chat"]
    return log


@blueprint.get("/")
@blueprint.get("/dev/chat")
async def page() -> tuple[str, int, dict[str, str]]:
    """The chat page (its script and style are in ``jeeves_frontend/static``)."""
    return await render_template("chat.html"), 200, {"Content-Security-Policy": PAGE_POLICY}


@blueprint.post("/dev/chat/messages")
async def post_message() -> tuple[dict[str, Any], int]:
    """Say something to Jeeves."""
    try:
        # JSON only: a page on another site cannot post JSON here without a CORS preflight.
        said = ChatInput.model_validate(await _json_body())
    except ValidationError as exc:
        detail = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        return {"error": "invalid_message", "detail": detail}, 422
    text = said.text.strip()
    if not text:
        return {"error": "invalid_message", "detail": "text is blank"}, 422
    message = await chat_log().add("you", text)
    await front_door().publish(to_dev_action(text))
    return {"message": asdict(message)}, 202


@blueprint.get("/dev/chat/messages")
async def get_messages() -> tuple[dict[str, Any], int]:
    """Messages after ``?after=<id>``, waiting up to ``?wait=<seconds>`` for new ones."""
    after = request.args.get("after", 0, type=int)
    wait = min(request.args.get("wait", 0.0, type=float), MAX_WAIT)
    log = chat_log()
    messages = log.after(after) or (await log.wait_after(after, wait) if wait > 0 else [])
    return {"messages": [asdict(m) for m in messages]}, 200


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
