"""Read-your-writes across replicas, with Neo4j's bookmarks.

Within one replica the driver's bookmark manager already makes every read see the writes
committed before it. Across replicas on a cluster a read may reach a follower that has not yet
applied a write made through another replica. So an HTTP response to a request that wrote
carries `Clew-Bookmark` (the bookmarks of this replica's latest commits, which include the
request's own), and a request that sends it back makes every statement it runs wait until the
database it reaches has applied those transactions (Neo4j's causal consistency). Bookmarks are
opaque strings from Neo4j: they name transactions, never data.

The scope of one request is a context variable: the HTTP edge opens it, the store reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

HEADER = "Clew-Bookmark"
MAX_BOOKMARKS = 16
_BOOKMARK = re.compile(r"^[A-Za-z0-9:+/=_.-]{1,1024}$")


@dataclass
class BookmarkScope:
    """One request: the transactions its statements must wait for, and whether it wrote."""

    wait_for: tuple[str, ...] = ()
    wrote: bool = False


_scope: ContextVar[BookmarkScope | None] = ContextVar("clew_bookmark_scope", default=None)


def parse(header: str | None) -> tuple[str, ...]:
    """The bookmarks a `Clew-Bookmark` request header names; ValueError says what is wrong."""
    if header is None or not header.strip():
        return ()
    values = tuple(v.strip() for v in header.split(",") if v.strip())
    if len(values) > MAX_BOOKMARKS or not all(_BOOKMARK.match(v) for v in values):
        raise ValueError(
            f"The {HEADER} header must be sent back as a Clew response gave it (at most "
            f"{MAX_BOOKMARKS} comma-separated bookmarks); leave it out to read without waiting "
            "for an earlier write."
        )
    return values


def format_header(values: list[str] | tuple[str, ...]) -> str:
    return ",".join(sorted(values))


@contextmanager
def request_scope(wait_for: tuple[str, ...]) -> Iterator[BookmarkScope]:
    scope = BookmarkScope(wait_for=wait_for)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current() -> BookmarkScope | None:
    return _scope.get()
