"""Group commit: concurrent calls share requests; every caller gets its own result or error."""

from __future__ import annotations

import asyncio

import pytest

from workers.slack.batching import Batcher


class Recorder:
    """A ``send`` that records its batches and answers after the test lets it."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.fail: Exception | None = None

    async def __call__(self, items: list[int]) -> list[str]:
        self.batches.append(list(items))
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return [f"r{item}" for item in items]


async def test_an_idle_call_goes_at_once_and_calls_meanwhile_go_together() -> None:
    send = Recorder()
    batcher: Batcher[int, str] = Batcher(send)
    first = asyncio.create_task(batcher(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert send.batches == [[1]]  # sent without waiting for company
    rest = [asyncio.create_task(batcher(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    send.gate.set()
    assert await first == "r1"
    assert [await task for task in rest] == ["r2", "r3", "r4"]
    assert send.batches == [[1], [2, 3, 4]]


async def test_batches_are_cut_at_the_maximum_size() -> None:
    send = Recorder()
    send.gate.set()
    batcher: Batcher[int, str] = Batcher(send, max_size=2)
    results = await asyncio.gather(*(batcher(n) for n in range(5)))
    assert results == [f"r{n}" for n in range(5)]
    assert all(len(batch) <= 2 for batch in send.batches)
    assert sorted(n for batch in send.batches for n in batch) == list(range(5))


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_goes_on() -> None:
    send = Recorder()
    batcher: Batcher[int, str] = Batcher(send)
    send.fail = ConnectionError("down")
    doomed = [asyncio.create_task(batcher(n)) for n in (1, 2)]
    await asyncio.sleep(0)
    send.gate.set()
    for task in doomed:
        with pytest.raises(ConnectionError):
            await task
    send.fail = None
    assert await batcher(3) == "r3"


async def test_a_wrong_number_of_results_is_an_error_not_a_mix_up() -> None:
    async def short(items: list[int]) -> list[str]:
        return ["only one"]

    batcher: Batcher[int, str] = Batcher(short)
    with pytest.raises(RuntimeError, match="1 results for 2 items"):
        await asyncio.gather(batcher(1), batcher(2))


async def test_a_cancelled_caller_is_left_out_of_the_next_batch() -> None:
    send = Recorder()
    batcher: Batcher[int, str] = Batcher(send)
    first = asyncio.create_task(batcher(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gone = asyncio.create_task(batcher(2))
    kept = asyncio.create_task(batcher(3))
    await asyncio.sleep(0)
    gone.cancel()
    send.gate.set()
    assert (await first, await kept) == ("r1", "r3")
    assert send.batches == [[1], [3]]
