"""Close names for "Did you mean ...?" suggestions (a leaf: connectors, imports and the SQL
parser all suggest names this one way)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(name: str, candidates: Iterable[str], *, n: int = 3) -> list[str]:
    """The candidates closest to `name`, ignoring case, best first (at most `n`)."""
    lowered = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[m] for m in matches]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """ " Did you mean 'x' or 'y'?" for names close to `name` (ignoring case), or ""."""
    matches = close_names(name, candidates)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"
