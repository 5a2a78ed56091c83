"""What the front door published on the in-memory bus, for tests that drive it in-process."""

from __future__ import annotations

from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.messages import Action, decode


def published_actions(bus: MemoryBus, *kinds: str) -> list[Action]:
    """Take the actions waiting in the queues of worker ``kinds`` (every kind by default), queue
    by queue in :data:`WORKER_QUEUES` order, each queue's in publish order; they are gone after.

    Each body is decoded as a worker would decode it, so one that does not decode fails here.
    """
    actions = []
    for kind, spec in WORKER_QUEUES.items():
        if kinds and kind not in kinds:
            continue
        queue = bus._queues[spec.name].pending  # the bus offers no read-back: it is a test's need
        while not queue.empty():
            message = decode(queue.get_nowait().body)
            assert isinstance(message, Action)
            actions.append(message)
    return actions
