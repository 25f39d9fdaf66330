"""The Cypher registry: every statement the service runs, loaded once from ``cypher/``.

Queries live in ``cypher/<domain>/<name>.cypher`` (one statement per file) and are looked up
as ``"<domain>/<name>"``; a missing name fails at once rather than at the first request.
Migrations live in ``cypher/migrations/NNN_<name>.cypher`` and may hold several schema
statements separated by ``;``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.cypher$")
# Labels and relationship directions cannot be query parameters. A statement marks where one
# goes with a slot such as __NODE__, filled only from an Enum member (see `render`), so no
# user input is ever spliced into Cypher. Path bounds (`*1..__DEPTH__`) cannot be parameters
# either: their slots take only an integer from 0 to MAX_INT_SLOT, checked here.
_SLOT = re.compile(r"__([A-Z]+)__")
MAX_INT_SLOT = 100
_INT_SLOTS = frozenset({"depth"})


class CypherRegistryError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    checksum: str


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


class CypherRegistry(Mapping[str, str]):
    def __init__(self, queries: dict[str, str], migrations: list[Migration]) -> None:
        self._queries = dict(queries)
        self.migrations = tuple(migrations)

    @classmethod
    def load(cls, root: Path) -> CypherRegistry:
        if not root.is_dir():
            raise CypherRegistryError(
                f"Cypher directory {root} does not exist; set CLEW_CYPHER_DIR to the "
                "repository's cypher/ folder."
            )
        queries: dict[str, str] = {}
        for path in sorted(root.glob("*/*.cypher")):
            domain = path.parent.name
            if domain == "migrations":
                continue
            text = _strip_comments(path.read_text(encoding="utf-8")).strip().rstrip(";")
            if ";" in text.replace("';'", ""):
                raise CypherRegistryError(f"{path} holds more than one statement.")
            queries[f"{domain}/{path.stem}"] = text
        migrations = []
        for path in sorted((root / "migrations").glob("*.cypher")):
            match = _MIGRATION_NAME.match(path.name)
            if not match:
                raise CypherRegistryError(
                    f"Migration file {path.name} must be named NNN_lower_snake.cypher."
                )
            raw = path.read_text(encoding="utf-8")
            statements = tuple(s.strip() for s in _strip_comments(raw).split(";") if s.strip())
            migrations.append(
                Migration(
                    version=int(match.group(1)),
                    name=match.group(2),
                    statements=statements,
                    checksum=hashlib.sha256(raw.encode()).hexdigest(),
                )
            )
        versions = [m.version for m in migrations]
        if len(set(versions)) != len(versions):
            raise CypherRegistryError("Two migrations share a version number.")
        return cls(queries, migrations)

    def slots(self, name: str) -> set[str]:
        return {m.lower() for m in _SLOT.findall(self[name])}

    def render(self, name: str, slots: Mapping[str, Enum | int] | None = None) -> str:
        text = self[name]
        wanted = self.slots(name)
        given = dict(slots or {})
        if wanted != set(given):
            raise CypherRegistryError(
                f"Statement {name!r} needs slots {sorted(wanted)}, got {sorted(given)}."
            )
        for slot, member in given.items():
            if slot in _INT_SLOTS:
                if (
                    not isinstance(member, int)
                    or isinstance(member, (bool, Enum))
                    or not 0 <= member <= MAX_INT_SLOT
                ):
                    raise CypherRegistryError(
                        f"Slot {slot!r} takes an integer from 0 to {MAX_INT_SLOT}, got {member!r}."
                    )
                text = text.replace(f"__{slot.upper()}__", str(member))
                continue
            if not isinstance(member, Enum) or not re.fullmatch(r"[A-Za-z_<>-]+", member.value):
                raise CypherRegistryError(f"Slot {slot!r} takes an Enum member, got {member!r}.")
            text = text.replace(f"__{slot.upper()}__", member.value)
        return text

    def __getitem__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise CypherRegistryError(f"No Cypher statement named {name!r}.") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._queries)

    def __len__(self) -> int:
        return len(self._queries)
