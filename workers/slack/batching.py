"""Group commit for calls made concurrently: one request carries everything that queued.

A :class:`Batcher` sends a batch as soon as a call arrives and nothing is in flight; calls
arriving while a batch is in flight wait for it and go together in the next one. An idle
caller pays no delay, and a busy one makes one request per round trip instead of one per call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """Calls ``send(items)`` (which returns one result per item, in order) in batches."""

    def __init__(
        self, send: Callable[[list[Item]], Awaitable[Sequence[Result]]], *, max_size: int = 100
    ) -> None:
        self._send = send
        self._max_size = max_size
        self._queued: list[tuple[Item, asyncio.Future[Result]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        """``item``'s result, once the batch carrying it is answered; its error if it failed."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queued.append((item, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._drain(), name="batcher")
        return await future

    async def _drain(self) -> None:
        try:
            while self._queued:
                # Calls whose callers gave up (cancelled) are not sent.
                self._queued = [(i, f) for i, f in self._queued if not f.done()]
                batch = self._queued[: self._max_size]
                del self._queued[: self._max_size]
                if batch:
                    await self._send_one(batch)
        finally:
            self._sender = None

    async def _send_one(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._send([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for {len(batch)} items")
        except asyncio.CancelledError:
            # The batcher itself is stopping (its loop shuts down): its callers get an error,
            # not a cancellation that is not theirs.
            stopped = RuntimeError("the batch was not sent: the batcher stopped")
            for _, future in (*batch, *self._queued):
                if not future.done():
                    future.set_exception(stopped)
            self._queued.clear()
            raise
        except Exception as exc:  # every caller of the batch gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a caller cancelled meanwhile
                future.set_result(result)
