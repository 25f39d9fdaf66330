"""Real PostgreSQL and MariaDB servers for the connector tests, from the Debian packages.

Each server lives in its own directory under `base_dir` (data, socket, pid file, log), listens
on 127.0.0.1 only, and is seeded once with the `shop` test database and a read-only test user.
`start_*` is idempotent: a server already running from the same directory is reused (and then
`ServerInfo.reused` is true, so a test session knows not to stop what it did not start).
The seed SQL is hashed into a marker file: editing it below re-creates the database.

    base_dir/postgres/   data/  run/ (socket)  postgres.log  seed.sha256
    base_dir/mariadb/    data/  mariadb.sock  mariadb.pid  mariadb.port  mariadb.log  seed.sha256

Install the packages with tests/servers/install_debian.sh.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pymysql

__all__ = [
    "REPO_ROOT",
    "ServerInfo",
    "ServerSetupError",
    "silent_socket",
    "start_mariadb",
    "start_postgres",
    "stop_mariadb",
    "stop_postgres",
    "unused_port",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
TEST_USER = "clew_reader"
# Distinctive on purpose: tests assert it never shows up in any message.
TEST_PASSWORD = "Rd-8c1f-Pa55word"
TEST_DATABASE = "shop"
INSTALL_HINT = "run tests/servers/install_debian.sh (as root) to install it"
START_TIMEOUT = 60.0
_POLL = 0.2
_LOG_TAIL = 25


class ServerSetupError(RuntimeError):
    """A test server could not be installed, initialised or started; the message says why."""


@dataclass(frozen=True, kw_only=True)
class ServerInfo:
    host: str
    port: int
    user: str
    password: str
    database: str
    reused: bool = False  # already running before this call: leave it running


# PostgreSQL


# Run as the superuser in database `postgres`; CREATE DATABASE cannot run in a transaction.
_PG_SEED_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{TEST_USER}') THEN
        CREATE ROLE {TEST_USER} LOGIN;
    END IF;
END $$;
ALTER ROLE {TEST_USER} LOGIN PASSWORD '{TEST_PASSWORD}';
"""

# Run as the superuser in database `shop`. The test user may read everything except payroll.
_PG_SEED_SHOP = f"""
CREATE TABLE public.customers (
    id bigint PRIMARY KEY,
    email character varying(320) NOT NULL,
    full_name text,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    credit_limit numeric(12,2),
    tags text[]
);
COMMENT ON TABLE public.customers IS 'People who have placed or may place orders';
COMMENT ON COLUMN public.customers.email IS 'Login and contact address; unique per customer';

CREATE TABLE public.orders (
    customer_id bigint NOT NULL REFERENCES public.customers (id),
    order_no integer NOT NULL,
    amount numeric(10,2) NOT NULL,
    status character varying(20) NOT NULL DEFAULT 'new',
    ordered_at timestamp with time zone,
    PRIMARY KEY (customer_id, order_no)
);

CREATE VIEW public.customer_orders AS
    SELECT c.id AS customer_id, c.email, o.order_no, o.amount
    FROM public.customers c JOIN public.orders o ON o.customer_id = c.id;
COMMENT ON VIEW public.customer_orders IS 'Orders with the customer''s e-mail address';

CREATE MATERIALIZED VIEW public.revenue_by_customer AS
    SELECT customer_id, sum(amount) AS revenue FROM public.orders GROUP BY customer_id;

CREATE TABLE public.payroll (
    employee_id bigint PRIMARY KEY,
    salary numeric(12,2) NOT NULL
);

-- The test user may read only three of its columns (a column-level grant).
CREATE TABLE public.employees (
    id bigint PRIMARY KEY,
    display_name text NOT NULL,
    department text,
    email text,
    ssn character(11),
    salary numeric(12,2),
    born_on date
);
CREATE INDEX employees_department_idx ON public.employees (department);
CREATE UNIQUE INDEX employees_email_lower_idx ON public.employees (lower(email))
    WHERE email IS NOT NULL;

CREATE TABLE public.events (
    id bigint PRIMARY KEY,
    labels text[],
    scores integer[] NOT NULL,
    grid double precision[][]
);

CREATE SCHEMA sales;
CREATE TABLE sales."MixedCase" (
    "Id" integer PRIMARY KEY,
    "DisplayName" text NOT NULL
);
CREATE TABLE sales.regions (
    code character(2) PRIMARY KEY,
    name text NOT NULL
);

INSERT INTO public.customers (id, email, full_name, credit_limit) VALUES
    (1, 'ada@example.com', 'Ada Lovelace', 1000.00),
    (2, 'grace@example.com', 'Grace Hopper', 2500.50),
    (3, 'alan@example.com', NULL, NULL);
INSERT INTO public.orders (customer_id, order_no, amount) VALUES
    (1, 1, 19.99), (1, 2, 5.00), (2, 1, 120.00), (3, 1, 42.42), (3, 2, 7.10);
REFRESH MATERIALIZED VIEW public.revenue_by_customer;
ANALYZE;

GRANT CONNECT ON DATABASE shop TO {TEST_USER};
GRANT USAGE ON SCHEMA public, sales TO {TEST_USER};
GRANT SELECT ON public.customers, public.orders, public.customer_orders,
    public.revenue_by_customer, public.events, sales."MixedCase", sales.regions TO {TEST_USER};
GRANT SELECT (id, display_name, department) ON public.employees TO {TEST_USER};
"""


# Default ports sit below Linux's ephemeral range (32768-60999): a port inside it can be held,
# for a moment, by any outgoing connection on the machine, and the server then fails to start.
def start_postgres(base_dir: Path, port: int = 25432) -> ServerInfo:
    """A PostgreSQL server on 127.0.0.1:`port` with the `shop` database, started if needed."""
    root = _absolute(base_dir) / "postgres"
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / "start.lock"):
        bindir = _pg_bindir()
        data, run = root / "data", root / "run"
        if not (data / "PG_VERSION").exists():
            _pg_initdb(bindir, root, data, run)
        running = _pg_running_port(bindir, data)
        if running is None:
            _check_port_free(port, "PostgreSQL")
            _pg_start(bindir, root, data, run, port)
        else:
            port = running
        _pg_seed(run, port, root / "seed.sha256")
        info = ServerInfo(
            host=HOST,
            port=port,
            user=TEST_USER,
            password=TEST_PASSWORD,
            database=TEST_DATABASE,
            reused=running is not None,
        )
        _wait_for(
            lambda: _pg_login(info),
            "PostgreSQL to accept the test user's login",
            log=root / "postgres.log",
        )
        return info


def stop_postgres(base_dir: Path) -> bool:
    """Stops the server of `base_dir` (fast shutdown); False if none was running."""
    root = _absolute(base_dir) / "postgres"
    data = root / "data"
    if not (data / "PG_VERSION").exists():
        return False
    bindir = _pg_bindir()
    if _pg_running_port(bindir, data) is None:
        return False
    _run_pg(bindir, "pg_ctl", "stop", "-D", str(data), "-m", "fast", "-w", "-t", "60", cwd=root)
    return True


def _pg_bindir() -> Path:
    # Debian keeps each major version's server binaries apart; take the newest.
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise ServerSetupError(f"The PostgreSQL server is not installed: {INSTALL_HINT}.")
    return candidates[-1].parent


def _pg_os_user() -> str | None:
    # initdb and postgres refuse to run as root; as root, run them as the `postgres` account
    # the Debian package creates. As anyone else, run them as ourselves.
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerSetupError(
            f"No `postgres` OS user to run PostgreSQL as: {INSTALL_HINT}."
        ) from None
    return "postgres"


def _pg_tool(bindir: Path, tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    user = _pg_os_user()
    return subprocess.run(
        [str(bindir / tool), *args],
        cwd=cwd,
        user=user,
        group=user,
        extra_groups=[] if user else None,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT + 30,
        start_new_session=True,  # pg_ctl's postmaster must outlive a Ctrl-C of the tests
    )


def _run_pg(bindir: Path, tool: str, *args: str, cwd: Path) -> str:
    result = _pg_tool(bindir, tool, *args, cwd=cwd)
    if result.returncode != 0:
        raise ServerSetupError(
            f"{tool} {' '.join(args[:1])} failed ({result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout


def _pg_initdb(bindir: Path, root: Path, data: Path, run: Path) -> None:
    if data.exists():
        shutil.rmtree(data)  # a half-made data dir from an interrupted initdb
    (root / "seed.sha256").unlink(missing_ok=True)  # a new cluster has no shop yet
    data.mkdir(mode=0o700)
    run.mkdir(exist_ok=True)
    user = _pg_os_user()
    if user:
        for path in (root, data, run):
            shutil.chown(path, user, user)
    _run_pg(
        bindir,
        "initdb",
        "-D",
        str(data),
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--no-locale",
        # Superuser only over the private socket; TCP always needs a password.
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        cwd=root,
    )


def _pg_running_port(bindir: Path, data: Path) -> int | None:
    # pg_ctl refuses root even for `status`, hence the OS user switch in _pg_tool.
    if _pg_tool(bindir, "pg_ctl", "status", "-D", str(data), cwd=data.parent).returncode != 0:
        return None
    # postmaster.pid: pid, data dir, start time, port, socket dir, listen address, ...
    lines = (data / "postmaster.pid").read_text().splitlines()
    return int(lines[3])


def _pg_start(bindir: Path, root: Path, data: Path, run: Path, port: int) -> None:
    options = " ".join(
        [
            f"-p {port}",
            f"-k {run}",
            f"-c listen_addresses={HOST}",
            "-c shared_buffers=16MB",
            "-c max_connections=40",
            "-c fsync=off",  # throwaway test data; halves seeding time
            "-c full_page_writes=off",
        ]
    )
    _run_pg(
        bindir,
        "pg_ctl",
        "start",
        "-D",
        str(data),
        "-l",
        str(root / "postgres.log"),
        "-w",
        "-t",
        str(int(START_TIMEOUT)),
        "-o",
        options,
        cwd=root,
    )


def run_as_postgres_superuser(base_dir: Path, port: int, *statements: str) -> None:
    """Runs statements in the test database as the superuser (through the server's socket),
    for a test that changes what the database holds, as its owner would."""
    run = _absolute(base_dir) / "postgres" / "run"
    with _pg_superuser(run, port, TEST_DATABASE) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def _pg_superuser(run: Path, port: int, dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        host=str(run),
        port=port,
        user="postgres",
        dbname=dbname,
        autocommit=True,
        connect_timeout=5,
    )


def _pg_seed(run: Path, port: int, marker: Path) -> None:
    digest = _digest(_PG_SEED_ROLE, _PG_SEED_SHOP)
    if marker.exists() and marker.read_text() == digest:
        return
    with _pg_superuser(run, port, "postgres") as conn:
        conn.execute(_PG_SEED_ROLE)
        conn.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEST_DATABASE}")
    with _pg_superuser(run, port, TEST_DATABASE) as conn:
        conn.execute(_PG_SEED_SHOP)
    marker.write_text(digest)


def _pg_login(info: ServerInfo) -> bool:
    try:
        with psycopg.connect(
            host=info.host,
            port=info.port,
            user=info.user,
            password=info.password,
            dbname=info.database,
            connect_timeout=2,
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


# MariaDB


# Run as root over the socket. The test user reads all of `shop`, nothing of `hr` and two
# columns of `workforce.staff`.
_MARIADB_SEED = [
    f"DROP DATABASE IF EXISTS {TEST_DATABASE}",
    "DROP DATABASE IF EXISTS hr",
    "DROP DATABASE IF EXISTS workforce",
    f"CREATE DATABASE {TEST_DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    "CREATE DATABASE hr CHARACTER SET utf8mb4",
    "CREATE DATABASE workforce CHARACTER SET utf8mb4",
    f"""CREATE TABLE {TEST_DATABASE}.customers (
        id BIGINT NOT NULL PRIMARY KEY,
        email VARCHAR(320) NOT NULL COMMENT 'Login and contact address; unique per customer',
        full_name VARCHAR(200) NULL,
        created_at TIMESTAMP NULL DEFAULT NULL,
        loyalty_points INT(11) UNSIGNED NOT NULL DEFAULT 0,
        status ENUM('active','blocked') NOT NULL DEFAULT 'active'
    ) ENGINE=InnoDB COMMENT='People who have placed or may place orders'""",
    f"""CREATE TABLE {TEST_DATABASE}.orders (
        customer_id BIGINT NOT NULL,
        order_no INT NOT NULL,
        amount DECIMAL(10,2) NOT NULL,
        ordered_at DATETIME(3) NULL,
        PRIMARY KEY (customer_id, order_no),
        CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
            REFERENCES {TEST_DATABASE}.customers (id)
    ) ENGINE=InnoDB""",
    f"""CREATE VIEW {TEST_DATABASE}.customer_orders AS
        SELECT c.id AS customer_id, c.email, o.order_no, o.amount
        FROM {TEST_DATABASE}.customers c JOIN {TEST_DATABASE}.orders o
            ON o.customer_id = c.id""",
    """CREATE TABLE hr.salaries (
        employee_id BIGINT NOT NULL PRIMARY KEY,
        salary DECIMAL(12,2) NOT NULL
    ) ENGINE=InnoDB""",
    # The test user may read two of its four columns (a column-level grant).
    """CREATE TABLE workforce.staff (
        id BIGINT NOT NULL PRIMARY KEY,
        display_name VARCHAR(200) NOT NULL,
        ssn CHAR(11) NULL,
        salary DECIMAL(12,2) NULL,
        UNIQUE KEY staff_ssn (ssn),
        KEY staff_name_salary (display_name, salary DESC)
    ) ENGINE=InnoDB""",
    f"""INSERT INTO {TEST_DATABASE}.customers (id, email, full_name, loyalty_points) VALUES
        (1, 'ada@example.com', 'Ada Lovelace', 10),
        (2, 'grace@example.com', 'Grace Hopper', 250),
        (3, 'alan@example.com', NULL, 0)""",
    f"""INSERT INTO {TEST_DATABASE}.orders (customer_id, order_no, amount) VALUES
        (1, 1, 19.99), (1, 2, 5.00), (2, 1, 120.00), (3, 1, 42.42), (3, 2, 7.10)""",
    f"ANALYZE TABLE {TEST_DATABASE}.customers, {TEST_DATABASE}.orders",
    # Anonymous accounts would shadow the test user for connections from localhost.
    "DELETE FROM mysql.global_priv WHERE User = ''",
    "FLUSH PRIVILEGES",
    f"CREATE USER IF NOT EXISTS '{TEST_USER}'@'%'",
    f"ALTER USER '{TEST_USER}'@'%' IDENTIFIED BY '{TEST_PASSWORD}'",
    f"GRANT SELECT, SHOW VIEW ON {TEST_DATABASE}.* TO '{TEST_USER}'@'%'",
    f"GRANT SELECT (id, display_name) ON workforce.staff TO '{TEST_USER}'@'%'",
]


@dataclass(frozen=True)
class _MariaPaths:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket(self) -> Path:
        return self.root / "mariadb.sock"

    @property
    def pid(self) -> Path:
        return self.root / "mariadb.pid"

    @property
    def port(self) -> Path:
        return self.root / "mariadb.port"

    @property
    def log(self) -> Path:
        return self.root / "mariadb.log"


# mariadbd processes this interpreter launched: waiting on them reaps them when they exit.
_children: dict[int, subprocess.Popen[bytes]] = {}


def start_mariadb(base_dir: Path, port: int = 23306) -> ServerInfo:
    """A MariaDB server on 127.0.0.1:`port` with the `shop` database, started if needed."""
    paths = _MariaPaths(_absolute(base_dir) / "mariadb")
    paths.root.mkdir(parents=True, exist_ok=True)
    with _locked(paths.root / "start.lock"):
        server, install_db = _mariadb_binaries()
        if not (paths.data / "mysql").is_dir():
            _mariadb_install_db(install_db, paths)
        pid = _mariadb_running_pid(paths)
        proc = None
        if pid is None:
            _check_port_free(port, "MariaDB")
            proc = _mariadb_launch(server, paths, port)
        else:
            port = int(paths.port.read_text())
        _wait_for(
            lambda: _mariadb_root_answers(paths), "MariaDB to start", log=paths.log, proc=proc
        )
        _mariadb_seed(paths)
        info = ServerInfo(
            host=HOST,
            port=port,
            user=TEST_USER,
            password=TEST_PASSWORD,
            database=TEST_DATABASE,
            reused=pid is not None,
        )
        _wait_for(
            lambda: _mariadb_login(info),
            "MariaDB to accept the test user's login",
            log=paths.log,
            proc=proc,
        )
        return info


def stop_mariadb(base_dir: Path, timeout: float = 30.0) -> bool:
    """Stops the server of `base_dir` (SIGTERM, a clean shutdown); False if none was running."""
    paths = _MariaPaths(_absolute(base_dir) / "mariadb")
    pid = _mariadb_running_pid(paths)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    if not _wait_exited(pid, timeout):
        os.kill(pid, signal.SIGKILL)
        _wait_exited(pid, 5.0)
    return True


def _mariadb_binaries() -> tuple[str, str]:
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
    install_db = shutil.which("mariadb-install-db", path="/usr/bin:/usr/sbin:/usr/local/bin")
    if not server or not install_db:
        raise ServerSetupError(f"The MariaDB server is not installed: {INSTALL_HINT}.")
    return server, install_db


def _os_user_name() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def _mariadb_install_db(install_db: str, paths: _MariaPaths) -> None:
    if paths.data.exists():
        shutil.rmtree(paths.data)  # a half-made data dir from an interrupted install
    (paths.root / "seed.sha256").unlink(missing_ok=True)  # a new server has no shop yet
    result = subprocess.run(
        [
            install_db,
            "--no-defaults",  # must come first: ignore /etc/mysql for a private server
            f"--datadir={paths.data}",
            f"--user={_os_user_name()}",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
            "--skip-name-resolve",
        ],
        cwd=paths.root,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise ServerSetupError(
            f"mariadb-install-db failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


def _mariadb_launch(server: str, paths: _MariaPaths, port: int) -> subprocess.Popen[bytes]:
    if paths.log.exists():
        paths.log.replace(paths.log.with_suffix(".log.1"))
    paths.port.write_text(str(port))
    command = [
        server,
        "--no-defaults",
        f"--datadir={paths.data}",
        f"--socket={paths.socket}",
        f"--pid-file={paths.pid}",
        f"--log-error={paths.log}",
        f"--port={port}",
        f"--bind-address={HOST}",
        "--skip-networking=0",
        f"--user={_os_user_name()}",
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=32M",
        "--innodb-log-file-size=16M",
        "--innodb-flush-log-at-trx-commit=2",
        "--performance-schema=OFF",
        "--max-connections=40",
        "--skip-log-bin",
    ]
    with open(os.devnull, "rb") as stdin, paths.log.open("ab") as log:
        proc = subprocess.Popen(
            command,
            cwd=paths.root,
            env=_clean_env(),
            stdin=stdin,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives Ctrl-C of the test run; stop_mariadb ends it
        )
    _children[proc.pid] = proc
    return proc


def _mariadb_running_pid(paths: _MariaPaths) -> int | None:
    try:
        pid = int(paths.pid.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(pid):
        return None
    # A recycled pid must not make us signal a stranger.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    expected = f"--datadir={paths.data}".encode()
    return pid if expected in cmdline else None


def _mariadb_root(paths: _MariaPaths) -> pymysql.connections.Connection:
    # The OS user is root or the data dir's owner: unix_socket authentication lets it in.
    return pymysql.connect(
        unix_socket=str(paths.socket), user=_os_user_name(), connect_timeout=5, autocommit=True
    )


def _mariadb_root_answers(paths: _MariaPaths) -> bool:
    if not paths.socket.exists():
        return False
    try:
        _mariadb_root(paths).close()
    except pymysql.err.OperationalError:
        return False
    return True


def _mariadb_seed(paths: _MariaPaths) -> None:
    digest = _digest(*_MARIADB_SEED)
    marker = paths.root / "seed.sha256"
    if marker.exists() and marker.read_text() == digest:
        return
    conn = _mariadb_root(paths)
    try:
        with conn.cursor() as cursor:
            for statement in _MARIADB_SEED:
                cursor.execute(statement)
                cursor.fetchall()
    finally:
        conn.close()
    marker.write_text(digest)


def _mariadb_login(info: ServerInfo) -> bool:
    try:
        conn = pymysql.connect(
            host=info.host,
            port=info.port,
            user=info.user,
            password=info.password,
            database=info.database,
            connect_timeout=2,
        )
    except pymysql.err.OperationalError:
        return False
    conn.close()
    return True


# Shared


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Two test sessions starting the same server at once must not both run initdb.
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _absolute(base_dir: Path) -> Path:
    # The servers' own tools run in other working directories, and a running server is
    # recognised by the absolute data dir in its command line.
    return Path(base_dir).resolve()


def _clean_env() -> dict[str, str]:
    # PG*/MYSQL_* variables of the caller's shell must not redirect our tools elsewhere.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "MYSQL", "MARIADB"))}
    env["LC_ALL"] = "C.UTF-8"
    return env


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _check_port_free(port: int, product: str) -> None:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        if probe.connect_ex((HOST, port)) == 0:
            raise ServerSetupError(
                f"Cannot start the test {product} server: port {port} on {HOST} is already in "
                "use by another process. Stop it, or pass another port."
            )


def _wait_for(
    ready: Callable[[], bool],
    what: str,
    *,
    log: Path,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if proc is not None and proc.poll() is not None:
            _children.pop(proc.pid, None)
            raise ServerSetupError(
                f"The server exited ({proc.returncode}) while waiting for {what}. "
                f"Last lines of {log}:\n{_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise ServerSetupError(
                f"Timed out after {START_TIMEOUT:g}s waiting for {what}. "
                f"Last lines of {log}:\n{_tail(log)}"
            )
        time.sleep(_POLL)


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-_LOG_TAIL:])
    except FileNotFoundError:
        return "(no log)"


def _alive(pid: int) -> bool:
    proc = _children.get(pid)
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(pid, 0); its /proc status says so.
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _wait_exited(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL)
    _children.pop(pid, None)
    return True


# Network stand-ins for failure tests


@contextmanager
def silent_socket() -> Iterator[tuple[str, int]]:
    """A loopback port that accepts connections (the kernel completes the handshake from the
    backlog) but never answers: what a half-dead server or a black-holing proxy looks like."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen(16)
        yield HOST, int(listener.getsockname()[1])


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released): dialling it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
