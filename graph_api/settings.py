"""Configuration from the environment, read and validated once at start-up."""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from graph_api.secrets import SecretKeyError, keys_from_env

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def _int(env: dict[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}.")
    return value


def _secret_keys(env: dict[str, str]) -> tuple[str, ...]:
    try:
        return tuple(keys_from_env(env))
    except SecretKeyError as exc:
        raise SettingsError(str(exc)) from None


def _trusted_ca(env: dict[str, str], uri: str | None) -> Path | None:
    raw = env.get("NEO4J_TRUSTED_CA") or None
    if raw is None:
        return None
    if uri is None:
        raise SettingsError(
            "NEO4J_TRUSTED_CA needs NEO4J_URI: the local Neo4j that Clew starts speaks plain "
            "Bolt. Set NEO4J_URI to your TLS Neo4j (bolt:// or neo4j://), or unset "
            "NEO4J_TRUSTED_CA."
        )
    if "+" in uri.partition("://")[0]:
        raise SettingsError(
            f"NEO4J_TRUSTED_CA cannot be combined with NEO4J_URI={uri!r}: a +s or +ssc scheme "
            "picks its own trust (+s: the system's CAs, +ssc: any certificate). To trust only "
            "your CA, use the same address with bolt:// or neo4j:// (Clew then encrypts); "
            "otherwise unset NEO4J_TRUSTED_CA."
        )
    path = Path(raw).expanduser()
    try:
        # Parsing it now turns a wrong path or a non-PEM file into a start-up error
        # instead of a certificate failure on the first query.
        ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise SettingsError(
            f"NEO4J_TRUSTED_CA={raw!r} is not a readable PEM CA certificate file ({exc}). "
            "Point it at the PEM file of the CA that signed the Neo4j server's certificate."
        ) from None
    return path


def _cors_origins(env: dict[str, str]) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in env.get("CLEW_CORS_ORIGINS", "").split(","))
    for origin in origins:
        if origin and origin != "*" and not origin.startswith(("http://", "https://")):
            raise SettingsError(
                f"CLEW_CORS_ORIGINS takes origins like https://catalog.example.com, separated "
                f"by commas; {origin!r} is not one."
            )
    return tuple(o for o in origins if o)


def _trusted_proxies(env: dict[str, str]) -> tuple[str, ...]:
    entries = [e.strip() for e in env.get("CLEW_TRUSTED_PROXIES", "").split(",") if e.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                "CLEW_TRUSTED_PROXIES takes the addresses (or networks, like 10.0.0.0/24) of "
                f"your reverse proxies, separated by commas; {entry!r} is not one."
            ) from None
    return tuple(entries)


def _signing_key(env: dict[str, str]) -> str | None:
    key = env.get("CLEW_TOKEN_SIGNING_KEY") or None
    if key is not None and len(key.encode()) < 32:
        # Anyone holding one issued token could guess a short key offline and forge others.
        raise SettingsError(
            "CLEW_TOKEN_SIGNING_KEY must be at least 32 bytes of random text (e.g. the output "
            "of `clew keys generate`), or unset to derive one from CLEW_SECRET_KEYS."
        )
    return key


def _redis_url(env: dict[str, str]) -> str | None:
    url = env.get("CLEW_REDIS_URL") or None
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(
            "CLEW_REDIS_URL takes a Redis URL such as redis://redis:6379/0 (rediss:// for TLS, "
            "unix:///path/to/redis.sock for a socket); unset it to keep events and sign-in "
            "throttling inside this process."
        )
    return url


@dataclass(frozen=True, kw_only=True)
class Settings:
    # When neo4j_uri is None the service uses the local Neo4j that `clew neo4j start` runs.
    neo4j_uri: str | None
    neo4j_user: str
    neo4j_password: str = field(repr=False)
    neo4j_database: str | None
    # Set: the driver encrypts and trusts only the CA in this PEM file (bolt:// / neo4j://).
    neo4j_trusted_ca: Path | None = None
    data_dir: Path
    local_neo4j_port: int
    local_neo4j_heap: str
    local_neo4j_pagecache: str
    cypher_dir: Path
    log_level: str
    default_page_size: int
    max_page_size: int
    search_limit: int
    lineage_max_depth: int
    lineage_max_nodes: int
    secret_keys: tuple[str, ...] = field(repr=False)
    connection_test_timeout: float
    # Sign-in tokens are signed with this key; by default one derived from the first secret key.
    token_signing_key: str | None = field(default=None, repr=False)
    token_ttl_minutes: int = 480
    import_job_retention_days: int = 30
    login_max_failures: int = 5
    # The first administrator, created at start-up when no user exists yet.
    admin_username: str = "admin"
    admin_password: str | None = field(default=None, repr=False)
    # Browser origins allowed to call the API from another site; empty sends no CORS headers.
    cors_origins: tuple[str, ...] = ()
    # Shared state between replicas (events, sign-in throttle); None: this process only.
    redis_url: str | None = field(default=None, repr=False)
    # How many Clew processes serve this catalog (an operator's statement, for start-up checks).
    replicas: int = 1
    # On SIGTERM, running imports may finish for this long before they are interrupted.
    shutdown_grace_seconds: int = 30
    # On SIGTERM, serve on at least this long with /readyz at 503, so that the load balancer's
    # health check takes the replica out before it stops listening.
    shutdown_delay_seconds: int = 5
    # How often each process looks for scheduled scans that are due.
    scan_schedule_poll_seconds: float = 15.0
    # Traces are exported over OTLP/HTTP to this endpoint; None: no tracing.
    otel_endpoint: str | None = None
    otel_service_name: str = "clew"
    # Reverse proxies whose X-Forwarded-For names the client; empty: nobody's is believed,
    # and every request counts as coming from the address that connected.
    trusted_proxies: tuple[str, ...] = ()

    @property
    def uses_local_neo4j(self) -> bool:
        return self.neo4j_uri is None

    @property
    def local_neo4j_dir(self) -> Path:
        return self.data_dir / "neo4j"

    @property
    def routing_warning(self) -> str | None:
        """Why this configuration may send writes to a follower, if it does."""
        if self.replicas > 1 and self.neo4j_uri and self.neo4j_uri.startswith("bolt"):
            return (
                f"NEO4J_URI={self.neo4j_uri} is a bolt:// address: it never routes, so on a "
                "Neo4j cluster writes sent to a follower fail (NotALeader). With "
                f"CLEW_REPLICAS={self.replicas}, use neo4j:// (or neo4j+s://) for a cluster; "
                "bolt:// is right only for one single Neo4j server."
            )
        return None

    @property
    def bolt_uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.local_neo4j_port}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        uri = env.get("NEO4J_URI") or None
        if uri is not None and not uri.startswith(
            ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")
        ):
            raise SettingsError(
                f"NEO4J_URI must start with bolt:// or neo4j:// (optionally +s or +ssc), "
                f"got {uri!r}."
            )
        default_page = _int(env, "CLEW_DEFAULT_PAGE_SIZE", 50, low=1, high=10_000)
        max_page = _int(env, "CLEW_MAX_PAGE_SIZE", 1000, low=1, high=10_000)
        if default_page > max_page:
            raise SettingsError("CLEW_DEFAULT_PAGE_SIZE cannot exceed CLEW_MAX_PAGE_SIZE.")
        level = env.get("CLEW_LOG_LEVEL", "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(
                f"CLEW_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}."
            )
        replicas = _int(env, "CLEW_REPLICAS", 1, low=1, high=1000)
        if replicas > 1 and uri is None:
            # The local Neo4j is one process on this machine, for development only.
            raise SettingsError(
                f"CLEW_REPLICAS={replicas} needs a Neo4j every replica reaches: set NEO4J_URI "
                "(neo4j:// or neo4j+s:// for a cluster). Clew does not start its local Neo4j "
                "for replicas."
            )
        data_dir = Path(env.get("CLEW_DATA_DIR", str(REPO_ROOT / ".clew")))
        password = env.get("NEO4J_PASSWORD", "")
        if uri is None and not password:
            # The local Neo4j signs in with the password generated with its data directory.
            from graph_api import neo4j_local

            password = neo4j_local.password(data_dir=data_dir / "neo4j")
        return cls(
            neo4j_uri=uri,
            neo4j_user=env.get("NEO4J_USER", "neo4j"),
            neo4j_password=password,
            neo4j_database=env.get("NEO4J_DATABASE") or None,
            neo4j_trusted_ca=_trusted_ca(env, uri),
            data_dir=data_dir,
            local_neo4j_port=_int(env, "CLEW_NEO4J_PORT", 7687, low=1, high=65535),
            # Half the heap is transaction memory: a 100,000-row all-or-nothing import
            # needs ~0.9 GiB of it (benchmarks/import_100k.py).
            local_neo4j_heap=env.get("CLEW_NEO4J_HEAP", "2g"),
            local_neo4j_pagecache=env.get("CLEW_NEO4J_PAGECACHE", "256m"),
            cypher_dir=Path(env.get("CLEW_CYPHER_DIR", str(REPO_ROOT / "cypher"))),
            log_level=level,
            default_page_size=default_page,
            max_page_size=max_page,
            search_limit=_int(env, "CLEW_SEARCH_LIMIT", 50, low=1, high=1000),
            lineage_max_depth=_int(env, "CLEW_LINEAGE_MAX_DEPTH", 10, low=1, high=50),
            lineage_max_nodes=_int(env, "CLEW_LINEAGE_MAX_NODES", 5000, low=1, high=100_000),
            secret_keys=_secret_keys(env),
            connection_test_timeout=float(
                _int(env, "CLEW_CONNECTION_TEST_TIMEOUT", 5, low=1, high=120)
            ),
            token_signing_key=_signing_key(env),
            token_ttl_minutes=_int(env, "CLEW_TOKEN_TTL_MINUTES", 480, low=1, high=43_200),
            import_job_retention_days=_int(
                env, "CLEW_IMPORT_JOB_RETENTION_DAYS", 30, low=1, high=3650
            ),
            login_max_failures=_int(env, "CLEW_LOGIN_MAX_FAILURES", 5, low=1, high=1000),
            admin_username=env.get("CLEW_ADMIN_USERNAME", "").strip() or "admin",
            admin_password=env.get("CLEW_ADMIN_PASSWORD") or None,
            cors_origins=_cors_origins(env),
            redis_url=_redis_url(env),
            replicas=replicas,
            shutdown_grace_seconds=_int(env, "CLEW_SHUTDOWN_GRACE_SECONDS", 30, low=0, high=3600),
            shutdown_delay_seconds=_int(env, "CLEW_SHUTDOWN_DELAY_SECONDS", 5, low=0, high=600),
            scan_schedule_poll_seconds=float(
                _int(env, "CLEW_SCAN_SCHEDULE_POLL_SECONDS", 15, low=1, high=3600)
            ),
            otel_endpoint=env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or None,
            otel_service_name=env.get("OTEL_SERVICE_NAME") or "clew",
            trusted_proxies=_trusted_proxies(env),
        )
