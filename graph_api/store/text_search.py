"""Turning what a person types into a safe Lucene query for the full-text index."""

from __future__ import annotations

import re

_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
_WORD = re.compile(r"[\w.$#@-]+", re.UNICODE)


def lucene_query(text: str) -> str | None:
    """Each word matches exactly (boosted) or as a prefix; all words are optional, so more
    matching words rank higher. Returns None when nothing searchable is left."""
    typed = [w for w in _WORD.findall(text) if w.strip(".-")]
    # The whole words as typed, then the words inside them (CustomerID -> customer, id).
    words = list(dict.fromkeys([w.lower() for w in typed] + search_words(*typed).split()))
    if not words:
        return None
    parts = []
    for word in words[:20]:
        escaped = _LUCENE_SPECIAL.sub(r"\\\1", word.lower())
        parts.append(f"({escaped}^2 OR {escaped}*)")
    return " ".join(parts)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^0-9A-Za-z]+|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")


def search_words(*names: str | None) -> str:
    """The words inside identifiers, so that `orders` finds `customer_orders`, `CustomerID`
    and `stg.orders_v2`: the full-text index's analyzer keeps `customer_orders` whole."""
    words: dict[str, None] = {}
    for name in names:
        if not name:
            continue
        for part in _SPLIT.split(_CAMEL.sub(" ", name)):
            for word in part.split():
                words.setdefault(word.lower(), None)
    return " ".join(words)
