"""Publish/subscribe for GraphQL subscriptions: in-process, or shared through Redis.

Each subscriber gets its own bounded queue; a subscriber that stops reading loses its oldest
events rather than holding memory or slowing publishers. `Broker` reaches the subscribers of
this process only. With CLEW_REDIS_URL set, `RedisBroker` (the same two methods) sends each
event through Redis pub/sub, JSON-encoded, so that it reaches the subscribers of every
replica. Redis pub/sub is at-most-once: right for events that only announce what Neo4j has
already committed. Events of a type with no JSON form (import progress) stay in-process: their
subscription polls Neo4j, so a subscriber on another replica still sees the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from graph_api.models import ConnectionTestRecord

log = logging.getLogger("graph_api.events")

CATALOG_TOPIC = "catalog"
CHANNEL_PREFIX = "clew:events:"
# Events waiting to be sent to Redis; past this many (Redis slow or away) new ones are dropped.
OUTBOX_SIZE = 10_000


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
        self._deliver(topic, event)

    def _deliver(self, topic: str, event: Any) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    def total_subscribers(self) -> int:
        return sum(len(queues) for queues in self._subscribers.values())

    @property
    def shared(self) -> bool:
        """True while events published here reach the subscribers of every replica."""
        return False

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def subscribe(self, topic: str) -> Subscription:
        """Joins `topic` now, before the caller's first await: an event published right
        after this call is already queued for the subscriber."""
        queue: asyncio.Queue[Any] = asyncio.Queue(self._queue_size)
        self._subscribers[topic].add(queue)
        return Subscription(self, topic, queue)

    def _leave(self, topic: str, queue: asyncio.Queue[Any]) -> None:
        subscribers = self._subscribers.get(topic)
        if subscribers is None:
            return
        subscribers.discard(queue)
        if not subscribers:
            del self._subscribers[topic]


class Subscription:
    """One subscriber's events, as an async iterator; `aclose()` (or leaving an `async for`
    through an exception or a cancelled task) leaves the topic."""

    def __init__(self, broker: Broker, topic: str, queue: asyncio.Queue[Any]) -> None:
        self._broker = broker
        self._topic = topic
        self._queue = queue
        self._closed = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Any:
        if self._closed:
            raise StopAsyncIteration
        try:
            return await self._queue.get()
        except BaseException:
            # Cancelled (the client went away, the subscription completed): leave the topic.
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._broker._leave(self._topic, self._queue)


# The event types that cross replicas, by the name their JSON carries.
_SHARED_TYPES: dict[str, type] = {
    "CatalogEvent": CatalogEvent,
    "ConnectionTestRecord": ConnectionTestRecord,
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    return value


def _revive(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$datetime"}:
        return datetime.fromisoformat(value["$datetime"])
    return value


def encode_event(event: Any) -> bytes | None:
    """The event as JSON, or None for a type that is not shared across replicas."""
    kind = type(event).__name__
    if _SHARED_TYPES.get(kind) is not type(event) or not dataclasses.is_dataclass(event):
        return None
    assert not isinstance(event, type)
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return json.dumps({"type": kind, "fields": fields}).encode()


def decode_event(payload: bytes | str) -> Any:
    message = json.loads(payload)
    cls = _SHARED_TYPES[message["type"]]
    return cls(**{name: _revive(value) for name, value in message["fields"].items()})


class RedisBroker(Broker):
    """Sends events through Redis so that every replica's subscribers receive them.

    `publish` never waits for Redis (it is called once a transaction has committed, inside
    the request): the event goes to an outbox that one task sends on. One listener per
    process receives every replica's events (its own included) and hands them to the local
    subscribers. When Redis cannot be reached an event still reaches this replica's
    subscribers, and the listener reconnects with a back-off.
    """

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 1000,
        client_factory: Callable[[str], aioredis.Redis] = aioredis.Redis.from_url,
    ) -> None:
        super().__init__(queue_size=queue_size)
        self._redis = client_factory(url)
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(OUTBOX_SIZE)
        self._tasks: list[asyncio.Task[None]] = []
        self._listening = asyncio.Event()

    @property
    def shared(self) -> bool:
        return self._listening.is_set()

    def publish(self, topic: str, event: Any) -> None:
        payload = encode_event(event)
        if payload is None:
            self._deliver(topic, event)
            return
        try:
            self._outbox.put_nowait((topic, payload))
        except asyncio.QueueFull:
            log.warning("event outbox full (Redis slow or unreachable): event dropped")

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._send_loop(), name="clew-events-send"),
            asyncio.create_task(self._listen_loop(), name="clew-events-listen"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._redis.aclose()

    async def _send_loop(self) -> None:
        while True:
            topic, payload = await self._outbox.get()
            try:
                await self._redis.publish(CHANNEL_PREFIX + topic, payload)
            except (RedisError, OSError) as exc:
                log.warning("Redis unreachable, event reaches this replica only: %s", exc)
                self._deliver(topic, decode_event(payload))

    async def _listen_loop(self) -> None:
        delay = 0.5
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                self._listening.set()
                delay = 0.5
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    channel = message["channel"]
                    if isinstance(channel, bytes):
                        channel = channel.decode()
                    try:
                        event = decode_event(message["data"])
                    except (ValueError, KeyError, TypeError):
                        log.warning("ignored a malformed event on %s", channel)
                        continue
                    self._deliver(channel.removeprefix(CHANNEL_PREFIX), event)
            except (RedisError, OSError) as exc:
                self._listening.clear()
                log.warning("Redis events unreachable: %s", exc, extra={"retry_in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()


def create_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else Broker()
