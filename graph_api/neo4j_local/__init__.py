"""Run a local Neo4j 5.26 Community database without Docker.

The database is Neo4j's embedded Java API (jars from Maven Central, see pom.xml)
wrapped in the small ClewNeo4j main class next to this file, started as a detached
JVM that speaks only Bolt, only on 127.0.0.1, with authentication on: the user ``neo4j``
has a generated password kept in ``data_dir``. Everything one server owns lives there:

    db/             Neo4j home: store files, transaction logs, logs/debug.log
    neo4j.password  the password of the user neo4j (generated on first start, mode 600)
    neo4j.log       the JVM's stdout and stderr (the previous run's: neo4j.log.1)
    neo4j.pid       pid of the running JVM
    bolt.port       the port it was started on
    tls.dir         the certificate directory, only while started with TLS
    classpath.txt   the resolved jar list (the jars stay in the Maven repository)
    jvm.args        the classpath as a java @argfile, so `ps` lines stay readable

The compiled launcher is shared by all data dirs, in the user's cache directory.
The functions block (subprocesses, polling); call them via ``asyncio.to_thread``
from async code. POSIX only: signals, sessions and flock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import DriverError, Neo4jError

from graph_api.neo4j_local.build import (
    MAIN_CLASS,
    check_java_version,
    compile_launcher,
    require_tool,
    resolve_classpath,
)
from graph_api.neo4j_local.files import (
    LocalNeo4jError,
    Paths,
    read_int,
    read_log,
    tail,
    write_atomic,
)
from graph_api.neo4j_local.processes import (
    POLL_INTERVAL,
    children,
    command_line,
    terminate,
)

__all__ = [
    "USER",
    "LocalNeo4jError",
    "LocalNeo4jStatus",
    "auth",
    "password",
    "start",
    "status",
    "stop",
]

log = logging.getLogger(__name__)

_DEFAULT_PORT = 7687
# Community edition's one administrator.
USER = "neo4j"
# The file names Neo4j is told to load from ``tls_dir``.
_TLS_FILES = ("private.key", "public.crt")

# The flags Neo4j 5.26's own distribution passes that matter here. Without the
# add-opens Neo4j still starts on Java 17 but falls back to slower page-cache
# buffers and cannot use native file advice (warnings in debug.log).
# -XX:+AlwaysPreTouch is left out on purpose: it commits the whole heap up front.
_JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)

_SIZE = re.compile(r"([1-9][0-9]*)([kmg]?)", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@dataclass(frozen=True)
class LocalNeo4jStatus:
    running: bool
    pid: int | None
    bolt_uri: str
    data_dir: Path
    log_file: Path
    # Bolt requires TLS; bolt_uri is then bolt+ssc:// (encrypted, certificate unchecked).
    tls: bool = False


def start(
    *,
    data_dir: Path,
    port: int = _DEFAULT_PORT,
    heap: str = "512m",
    pagecache: str = "256m",
    timeout: float = 180.0,
    tls_dir: Path | None = None,
) -> LocalNeo4jStatus:
    """Start Neo4j for ``data_dir`` on 127.0.0.1:``port``, or return the one already running.

    ``heap`` and ``pagecache`` take JVM-style sizes (``512m``, ``1g``). ``timeout``
    bounds the wait for Bolt to answer after launch; the one-off jar download and
    compilation before it are not counted. With ``tls_dir`` (holding the PEM files
    ``private.key`` and ``public.crt``) Bolt accepts only TLS connections.
    """
    paths = Paths.of(data_dir)
    tls = None if tls_dir is None else _check_tls_dir(tls_dir)
    heap_bytes = _parse_size("heap", heap)
    _parse_size("pagecache", pagecache)
    if not 0 < port < 65536:
        raise LocalNeo4jError(f"Port {port} is not a valid TCP port; use 1-65535.")

    with _locked(paths):
        _ensure_password(paths)
        pid = _running_pid(paths)
        if pid is not None and f" --password-file {paths.password_file} " not in command_line(pid):
            # Started by an older Clew with authentication off: anyone on the machine could
            # use it. Restart it with authentication on.
            log.warning("Neo4j (pid %d) runs without authentication; restarting it", pid)
            terminate(pid, grace=60.0)
            pid = None
        if pid is not None:
            return _adopt_running(paths, pid, port, tls, timeout)
        paths.pid_file.unlink(missing_ok=True)  # stale: its process is gone

        java = require_tool(
            "java",
            "Neo4j 5.26 needs Java 17 or 21. Install it (Debian/Ubuntu: "
            "`apt-get install openjdk-17-jdk-headless`) or put its bin directory on PATH.",
        )
        check_java_version(java)
        _check_port_free(port, paths)
        classpath = resolve_classpath(paths)
        classes = compile_launcher(classpath)

        proc = _launch(paths, java, classes, classpath, port, heap, heap_bytes, pagecache, tls)
        try:
            _wait_for_bolt(
                paths,
                proc.pid,
                _bolt_uri(port, tls=tls is not None),
                timeout,
                on_timeout="It has been stopped; a slow machine may need a larger timeout.",
            )
        except LocalNeo4jError:
            # Leave nothing half-started behind: the next start() begins from scratch.
            # poll() first: once the JVM is reaped its pid may belong to someone else.
            if proc.poll() is None:
                terminate(proc.pid, grace=30.0)
            paths.pid_file.unlink(missing_ok=True)
            raise
        return _status(paths, proc.pid)


def stop(*, data_dir: Path, timeout: float = 60.0) -> bool:
    """Stop the Neo4j of ``data_dir``; True if one was running.

    SIGTERM lets it checkpoint and shut down cleanly (a few seconds); SIGKILL only
    if that takes longer than ``timeout``.
    """
    paths = Paths.of(data_dir)
    if not paths.data_dir.is_dir():
        return False
    with _locked(paths):
        pid = _running_pid(paths)
        if pid is not None:
            terminate(pid, grace=timeout)
        paths.pid_file.unlink(missing_ok=True)
        return pid is not None


def password(*, data_dir: Path) -> str:
    """The password of the user neo4j of the local Neo4j in ``data_dir``, generated (and
    kept in ``data_dir/neo4j.password``, readable by its owner only) the first time."""
    paths = Paths.of(data_dir)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    return _ensure_password(paths)


def auth(*, data_dir: Path) -> tuple[str, str]:
    """The driver's ``auth=`` for the local Neo4j in ``data_dir``."""
    return USER, password(data_dir=data_dir)


def _ensure_password(paths: Paths) -> str:
    path = paths.password_file
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a copy or an old umask may have left it readable
        return path.read_text(encoding="utf-8").strip()
    generated = secrets.token_urlsafe(24)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(generated + "\n")
    return generated


def status(*, data_dir: Path) -> LocalNeo4jStatus:
    """Whether the Neo4j of ``data_dir`` is running (its JVM is alive); never raises
    for a stopped or never-started server."""
    paths = Paths.of(data_dir)
    return _status(paths, _running_pid(paths))


def _status(paths: Paths, pid: int | None) -> LocalNeo4jStatus:
    port = read_int(paths.port_file) or _DEFAULT_PORT
    tls = _recorded_tls_dir(paths) is not None
    return LocalNeo4jStatus(
        running=pid is not None,
        pid=pid,
        bolt_uri=_bolt_uri(port, tls=tls),
        data_dir=paths.data_dir,
        log_file=paths.log_file,
        tls=tls,
    )


def _bolt_uri(port: int, *, tls: bool = False) -> str:
    # +ssc: the launcher only checks that Neo4j answers; trusting its certificate is
    # the client's decision (see NEO4J_TRUSTED_CA).
    return f"bolt{'+ssc' if tls else ''}://127.0.0.1:{port}"


def _check_tls_dir(tls_dir: Path) -> Path:
    tls = Path(tls_dir).expanduser().resolve()
    missing = [name for name in _TLS_FILES if not (tls / name).is_file()]
    if missing:
        raise LocalNeo4jError(
            f"TLS directory {tls} lacks {' and '.join(missing)}. Put the server's private key "
            "in private.key and its certificate (chain) in public.crt, both PEM."
        )
    return tls


def _recorded_tls_dir(paths: Paths) -> Path | None:
    try:
        return Path(paths.tls_file.read_text().strip())
    except OSError:
        return None


@contextmanager
def _locked(paths: Paths) -> Iterator[None]:
    # Serialises start/stop on one data dir across threads and processes (e.g. two
    # test workers), so two JVMs never race for the same store.
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    with open(paths.lock_file, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _adopt_running(
    paths: Paths, pid: int, port: int, tls: Path | None, timeout: float
) -> LocalNeo4jStatus:
    running_port = read_int(paths.port_file) or _DEFAULT_PORT
    if running_port != port:
        raise LocalNeo4jError(
            f"Neo4j for {paths.data_dir} is already running (pid {pid}) on port "
            f"{running_port}, not {port}. Use port {running_port}, or stop it first."
        )
    running_tls = _recorded_tls_dir(paths)
    if running_tls != tls:
        how = "without TLS" if running_tls is None else f"with TLS from {running_tls}"
        raise LocalNeo4jError(
            f"Neo4j for {paths.data_dir} is already running (pid {pid}) {how}. "
            "Stop it first to start it with other TLS settings."
        )
    _wait_for_bolt(
        paths,
        pid,
        _bolt_uri(port, tls=tls is not None),
        timeout,
        on_timeout="Its process is alive but not answering; stop() it and start again.",
    )
    return _status(paths, pid)


def _running_pid(paths: Paths) -> int | None:
    pid = read_int(paths.pid_file)
    return pid if pid is not None and _is_server(pid, paths) else None


def _is_server(pid: int, paths: Paths) -> bool:
    """Whether ``pid`` is alive and is the ClewNeo4j JVM of this data dir (not a
    recycled pid belonging to something else)."""
    child = children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del children[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive but another user's; the command line decides
    command = command_line(pid)
    return f" {MAIN_CLASS} " in command and f" --home {paths.home} " in command


def _parse_size(name: str, value: str) -> int:
    match = _SIZE.fullmatch(value.strip())
    if match is None:
        raise LocalNeo4jError(
            f"{name}={value!r} is not a size; use a number with an optional k/m/g suffix, "
            "e.g. '512m' or '1g'."
        )
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def _check_port_free(port: int, paths: Paths) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Netty binds with SO_REUSEADDR too, so connections lingering in TIME_WAIT
        # from a previous run must not count as "in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise LocalNeo4jError(
                f"Port {port} on 127.0.0.1 is already in use by another program ({exc.strerror}), "
                f"and it is not the Neo4j of {paths.data_dir}. Stop that program "
                "(`ss -ltnp` shows which one) or choose another port."
            ) from exc


def _launch(
    paths: Paths,
    java: str,
    classes: Path,
    classpath: str,
    port: int,
    heap: str,
    heap_bytes: int,
    pagecache: str,
    tls: Path | None,
) -> subprocess.Popen[bytes]:
    paths.home.mkdir(parents=True, exist_ok=True)
    if paths.log_file.exists():
        paths.log_file.replace(paths.log_file.with_name(paths.log_file.name + ".1"))
    # The ~20 kB classpath goes into an argfile; the main class and --home stay on the
    # command line, where _is_server() recognises the process.
    write_atomic(paths.argfile, f"-cp\n{_argfile_quote(f'{classes}{os.pathsep}{classpath}')}\n")
    # Half the heap for transaction state: a runaway write fails with Neo4j's own
    # memory-limit error instead of taking the JVM down (its default is 70 %).
    tx_memory = f"{heap_bytes // 2 // 1024}k"
    command = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        *_JVM_FLAGS,
        f"@{paths.argfile}",
        MAIN_CLASS,
        "--home",
        str(paths.home),
        "--port",
        str(port),
        "--pagecache",
        pagecache,
        "--tx-memory",
        tx_memory,
        # The password stays in its file: a command line is visible to everyone in `ps`.
        "--password-file",
        str(paths.password_file),
    ]
    if tls is not None:
        command += ["--tls-dir", str(tls)]
    with open(paths.log_file, "wb") as log_out:
        # A new session: the JVM outlives the caller (e.g. `make run`) and is not hit
        # by the terminal's Ctrl-C meant for the caller.
        proc = subprocess.Popen(
            command,
            cwd=paths.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=log_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children[proc.pid] = proc
    write_atomic(paths.port_file, f"{port}\n")
    if tls is None:
        paths.tls_file.unlink(missing_ok=True)
    else:
        write_atomic(paths.tls_file, f"{tls}\n")
    write_atomic(paths.pid_file, f"{proc.pid}\n")
    return proc


def _argfile_quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _wait_for_bolt(paths: Paths, pid: int, uri: str, timeout: float, on_timeout: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not _is_server(pid, paths):
            raise LocalNeo4jError(
                f"Neo4j (pid {pid}) exited during start-up. Last lines of "
                f"{paths.log_file} (more in {paths.home / 'logs' / 'debug.log'}):\n"
                + tail(read_log(paths.log_file))
            )
        if _bolt_answers(uri, (USER, _ensure_password(paths))):
            return
        if time.monotonic() >= deadline:
            raise LocalNeo4jError(
                f"Neo4j (pid {pid}) did not answer on {uri} within {timeout:.0f} s. "
                f"{on_timeout} Last lines of {paths.log_file}:\n" + tail(read_log(paths.log_file))
            )
        time.sleep(POLL_INTERVAL)


def _bolt_answers(uri: str, auth: tuple[str, str]) -> bool:
    try:
        with GraphDatabase.driver(uri, auth=auth, connection_timeout=5.0) as driver:
            driver.verify_connectivity()
    except (DriverError, Neo4jError, OSError):
        return False
    return True
