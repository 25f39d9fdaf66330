"""A real Redis for the replica tests, from Debian's `redis-server` package.

It lives in `base_dir/redis/` (config, pid file, log; no persistence: Clew keeps only
throwaway state there), listens on 127.0.0.1 only, and is idempotent like tests/servers/sql.py:
a server already running from the same directory is reused (`reused` is then true, so a
test session knows not to stop what it did not start).

Install the package with tests/servers/install_debian.sh.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.servers.sql import HOST, ServerSetupError

START_TIMEOUT = 30.0
_POLL = 0.1


@dataclass(frozen=True, kw_only=True)
class RedisInfo:
    host: str
    port: int
    reused: bool = False

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def _root(base_dir: Path) -> Path:
    return Path(base_dir).resolve() / "redis"


def _running_pid(root: Path) -> int | None:
    pid_file = root / "redis.pid"
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"redis" not in cmdline.read_bytes():
        return None  # the pid was reused by something else
    return pid


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(base_dir: Path, port: int = 7779) -> RedisInfo:
    """Redis on 127.0.0.1:`port`, started from `base_dir/redis` unless already running there."""
    server = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if server is None:
        raise ServerSetupError(
            "redis-server is not installed: run tests/servers/install_debian.sh (as root)."
        )
    root = _root(base_dir)
    root.mkdir(parents=True, exist_ok=True)
    pid = _running_pid(root)
    if pid is not None:
        port = int((root / "redis.port").read_text())
        if _answers(port):
            return RedisInfo(host=HOST, port=port, reused=True)
    if _answers(port):
        raise ServerSetupError(
            f"Cannot start the test Redis: port {port} on {HOST} is already in use by another "
            "process. Stop it, or set CLEW_TEST_REDIS_PORT to another port."
        )
    config = root / "redis.conf"
    config.write_text(
        f"bind {HOST}\nport {port}\nprotected-mode yes\ndaemonize yes\n"
        f"dir {root}\npidfile {root / 'redis.pid'}\nlogfile {root / 'redis.log'}\n"
        'save ""\nappendonly no\n'
    )
    (root / "redis.port").write_text(str(port))
    result = subprocess.run([server, str(config)], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise ServerSetupError(f"redis-server did not start: {result.stderr or result.stdout}")
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(port):
        if time.monotonic() > deadline:
            log = root / "redis.log"
            tail = log.read_text()[-2000:] if log.exists() else "(no log)"
            raise ServerSetupError(f"Redis did not answer on port {port}. {log}:\n{tail}")
        time.sleep(_POLL)
    return RedisInfo(host=HOST, port=port)


def stop_redis(base_dir: Path, timeout: float = 15.0) -> bool:
    """Stops the server of `base_dir`; False if none was running."""
    pid = _running_pid(_root(base_dir))
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _running_pid(_root(base_dir)) is not None:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(_POLL)
    return True
