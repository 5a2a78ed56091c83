"""A local stand-in for Slack's Web API that records what Jeeves posts.

It listens on 127.0.0.1 and answers ``POST /api/<method>`` like Slack: ``{"ok": true, ...}`` by
default, or whatever a test scripts next (a 429 with ``Retry-After``, a 500, an ``ok: false``
error), or 429s and 500s in turn for a while (:meth:`FakeSlack.fail_for`). Tests assert on
:attr:`FakeSlack.posts`, the calls that Slack accepted, and :attr:`FakeSlack.calls`, every call
with its ``Authorization`` header. Accepted messages can be read back with
``conversations.history`` and ``conversations.replies`` (with their metadata), as on Slack.

``oauth.v2.access`` and ``auth.test`` answer from :attr:`FakeSlack.oauth`
(:class:`~tests.support.fake_slack_oauth.FakeOAuth`: installs, rotating tokens, single-use
refresh tokens). With :attr:`FakeSlack.strict_tokens` set, every other call must carry a bot
token it issued, unexpired (else ``invalid_auth`` / ``token_expired``, as Slack answers).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.fake_slack_oauth import FakeOAuth


@dataclass(frozen=True)
class Scripted:
    """One answer a test wants the fake to give instead of success."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    #: Post the message all the same (a Slack that posted, then failed to say so).
    posted: bool = False


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    body: dict[str, Any]
    authorization: str
    at: float


#: A Web API method a plug-in answers (tests.support.fake_slack_openid ...): arguments → answer.
MethodHandler = Callable[[dict[str, Any], "Call"], Awaitable[web.Response]]
#: A page outside ``/api/`` a plug-in serves, GET or POST (Slack's JWKS, its authorize page ...).
PageHandler = Callable[[web.Request], Awaitable[web.Response]]


class FakeSlack:
    """The fake Web API server; ``async with FakeSlack() as slack`` starts and stops it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.posts: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        #: What ``users.info`` knows: user id → profile fields (``tz`` ...).
        self.users: dict[str, dict[str, Any]] = {}
        self.script: deque[Scripted] = deque()
        #: Every accepted message as ``conversations.history`` shows it, with its channel.
        self.history: list[dict[str, Any]] = []
        self._failing_until = 0.0
        #: Seconds each ``chat.postMessage`` takes after it is recorded (a slow Slack).
        self.latency = 0.0
        self._failures = itertools.cycle(
            [
                Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
                Scripted(500, {"ok": False, "error": "internal_error"}),
                Scripted(503, {"ok": False, "error": "service_unavailable"}, posted=True),
            ]
        )
        #: Installs, codes and tokens of the fake Slack app.
        self.oauth = FakeOAuth()
        #: Refuse calls without a token :attr:`oauth` issued (off: any token is fine).
        self.strict_tokens = False
        #: Seconds each ``oauth.v2.access`` takes before answering (a slow Slack).
        self.oauth_latency = 0.0
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        #: Plug-ins' Web API methods and pages (path → handler), looked up per request.
        self.methods: dict[str, MethodHandler] = {}
        self.pages: dict[str, PageHandler] = {}

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)
        app.router.add_post("/commands/{hook}", self._respond)
        app.router.add_get("/{path:.+}", self._page)
        app.router.add_post("/{path:.+}", self._page)  # a page's form (Slack's consent screen)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await _arguments(request)
        call = Call(method, body, request.headers.get("Authorization", ""), time.monotonic())
        answer = self.script.popleft() if self.script else None
        if answer is None and time.monotonic() < self._failing_until:
            answer = next(self._failures)
        ts = f"1700000000.{next(self._ts):06d}"
        async with self._changed:
            self.calls.append(call)
            if (answer is None or answer.posted) and method == "chat.postMessage":
                self.posts.append(body)
                self.history.append({**body, "ts": ts})
            self._changed.notify_all()
        if answer is not None:
            return web.json_response(answer.body, status=answer.status, headers=answer.headers)
        if method in ("oauth.v2.access", "auth.test"):
            return await self._oauth(method, body, call.authorization)
        if method in self.methods:
            return await self.methods[method](body, call)
        if self.strict_tokens and (problem := self.oauth.check(call.authorization)):
            return web.json_response({"ok": False, "error": problem})
        if self.latency and method == "chat.postMessage":
            await asyncio.sleep(self.latency)
        if method == "users.info":
            return self._user_info(str(body.get("user", "")))
        if method in ("conversations.history", "conversations.replies"):
            return self._read_back(method, body)
        return web.json_response({"ok": True, "channel": body.get("channel"), "ts": ts})

    async def _page(self, request: web.Request) -> web.Response:
        page = self.pages.get(request.path)
        if page is None:
            raise web.HTTPNotFound()
        return await page(request)

    async def _oauth(self, method: str, args: dict[str, Any], authorization: str) -> web.Response:
        if method == "auth.test":
            return web.json_response(self.oauth.auth_test(authorization))
        if self.oauth_latency:
            await asyncio.sleep(self.oauth_latency)
        return web.json_response(self.oauth.access(args, authorization))

    def fail_for(self, seconds: float) -> None:
        """For a while, answer every call with a 429 (``Retry-After: 1``), a 500, or a 503 for
        a message it did post, in turn."""
        self._failing_until = time.monotonic() + seconds

    def _read_back(self, method: str, args: dict[str, Any]) -> web.Response:
        channel = args.get("channel")
        found = [m for m in self.history if m.get("channel") == channel]
        if method == "conversations.replies":
            found = [m for m in found if args.get("ts") in (m.get("thread_ts"), m["ts"])]
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [
            {
                "type": "message",
                "ts": m["ts"],
                "text": m.get("text", ""),
                **({"thread_ts": m["thread_ts"]} if m.get("thread_ts") else {}),
                **({"metadata": m["metadata"]} if with_metadata and m.get("metadata") else {}),
            }
            for m in reversed(found)
        ]
        return web.json_response({"ok": True, "messages": messages, "has_more": False})

    def _user_info(self, user: str) -> web.Response:
        if user not in self.users:
            return web.json_response({"ok": False, "error": "user_not_found"})
        return web.json_response({"ok": True, "user": {"id": user, **self.users[user]}})

    def response_url(self, hook: str) -> str:
        """A ``response_url`` for a slash command; answers land in :attr:`responses`."""
        return f"{self.base_url.removesuffix('/api/')}/commands/{hook}"

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        async with self._changed:
            self.responses.append({"hook": request.match_info["hook"], **body})
            self._changed.notify_all()
        return web.Response(text="ok")

    async def wait_for_responses(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` slash-command answers arrived; return them all."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.responses) >= count), timeout
            )
        return list(self.responses)

    async def wait_for_calls(self, count: int, timeout: float = 10.0) -> list[Call]:
        """Wait until at least ``count`` calls arrived, accepted or not; return them all."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.calls) >= count), timeout
            )
        return list(self.calls)

    async def wait_for_posts(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were accepted; return all of them."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.posts) >= count), timeout
            )
        return list(self.posts)


async def _arguments(request: web.Request) -> dict[str, Any]:
    """A Web API call's arguments: query string (GET), JSON or form body (POST)."""
    if request.method == "GET":
        return dict(request.query)
    if request.content_type == "application/json":
        raw = await request.read()
        return dict(json.loads(raw)) if raw else {}
    return dict(await request.post())
