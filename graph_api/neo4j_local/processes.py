"""The JVM's process: recognising it by pid, signalling it, and waiting for it to exit."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path

from graph_api.neo4j_local.files import LocalNeo4jError

log = logging.getLogger(__name__)
POLL_INTERVAL = 0.25

# JVMs this process launched. Polling their Popen reaps them once they exit;
# otherwise a dead child lingers as a zombie and still looks alive to kill(pid, 0).
children: dict[int, subprocess.Popen[bytes]] = {}


def command_line(pid: int) -> str:
    """The process's arguments joined by spaces, with a space at both ends; empty
    for a zombie or a vanished process."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return f" {raw.decode(errors='replace').replace(chr(0), ' ')} "
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return ""  # the process is gone
    except OSError:
        return ""
    try:  # no /proc (macOS)
        out = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" {out.strip()} "


def terminate(pid: int, *, grace: float) -> None:
    signal_process(pid, signal.SIGTERM)
    if wait_exited(pid, grace):
        return
    log.warning("Neo4j (pid %d) did not stop within %.0f s; killing it", pid, grace)
    signal_process(pid, signal.SIGKILL)
    if not wait_exited(pid, 10.0):
        raise LocalNeo4jError(f"Neo4j (pid {pid}) survived SIGKILL; check it with `ps -p {pid}`.")


def signal_process(pid: int, signum: signal.Signals) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass  # already gone


def wait_exited(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not exited(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
    return True


def exited(pid: int) -> bool:
    """Whether ``pid`` has finished exiting, so its port and store lock are released.

    Stricter than "not _is_server()": a dying process loses its command line before
    it closes its files; only once it is a zombie (or gone) are they all closed.
    """
    child = children.get(pid)
    if child is not None:
        if child.poll() is None:
            return False
        del children[pid]
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, but another user's
    return process_state(pid) in {"Z", "X", ""}


def process_state(pid: int) -> str:
    """The one-letter state (R, S, D, Z, ...) of ``pid``; empty if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0]  # the name in parentheses may hold spaces
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return ""
    except (OSError, IndexError):
        return ""
    try:  # no /proc (macOS)
        out = subprocess.run(
            ["ps", "-o", "stat=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return out[:1]
