"""Turning what a person types into a safe Lucene query for the full-text index."""

from __future__ import annotations

import re

_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
_WORD = re.compile(r"[\w.$#@-]+", re.UNICODE)


def lucene_query(text: str) -> str | None:
    """Each word matches exactly (boosted) or as a prefix; all words are optional, so more
    matching words rank higher. Returns None when nothing searchable is left."""
    words = [w for w in _WORD.findall(text) if w.strip(".-")]
    if not words:
        return None
    parts = []
    for word in words[:20]:
        escaped = _LUCENE_SPECIAL.sub(r"\\\1", word.lower())
        parts.append(f"({escaped}^2 OR {escaped}*)")
    return " ".join(parts)
