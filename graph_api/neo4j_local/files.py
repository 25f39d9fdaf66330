"""The files one local Neo4j owns in its data dir, and the error every step raises."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

LOG_TAIL_LINES = 20


class LocalNeo4jError(Exception):
    """The local Neo4j could not be started or stopped; the message says what to do."""


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @classmethod
    def of(cls, data_dir: Path) -> Paths:
        # Absolute, because the path is matched against the JVM's command line.
        return cls(Path(data_dir).expanduser().resolve())

    @property
    def home(self) -> Path:
        return self.data_dir / "db"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "neo4j.log"

    @property
    def password_file(self) -> Path:
        return self.data_dir / "neo4j.password"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "neo4j.pid"

    @property
    def port_file(self) -> Path:
        return self.data_dir / "bolt.port"

    @property
    def classpath_file(self) -> Path:
        return self.data_dir / "classpath.txt"

    @property
    def argfile(self) -> Path:
        return self.data_dir / "jvm.args"

    @property
    def tls_file(self) -> Path:
        return self.data_dir / "tls.dir"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "neo4j.lock"


def read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def read_log(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    last = deque(text.splitlines(), maxlen=lines)
    return "\n".join(f"    {line}" for line in last) or "    (empty)"


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
