"""In-process publish/subscribe for GraphQL subscriptions.

Each subscriber gets its own bounded queue; a subscriber that stops reading loses its oldest
events rather than holding memory or slowing publishers. Runs within one process: behind
several API processes, swap this for a shared broker with the same two methods.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

CATALOG_TOPIC = "catalog"


@dataclass(frozen=True)
class CatalogEvent:
    """A committed change to a table, field, source or lineage edge."""

    entity_type: str
    entity_id: str
    action: str
    actor: str


class Broker:
    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Any]]] = defaultdict(set)

    def publish(self, topic: str, event: Any) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    async def subscribe(self, topic: str) -> AsyncGenerator[Any, None]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self._queue_size)
        self._subscribers[topic].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            # Runs when the client disconnects or completes the subscription.
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                del self._subscribers[topic]
