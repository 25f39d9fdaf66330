"""The Starlette application: routes, the Neo4j driver's lifetime, request ids and logs."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from cross_web.request import AsyncHTTPRequestAdapter
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired, TransientError
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from graph_api import (
    graphiql,
    graphql_http,
    interchange_http,
    metrics,
    openlineage_http,
    shutdown,
    tracing,
)
from graph_api.auth.http import requires_role
from graph_api.auth.roles import Role
from graph_api.context import Connection, Context, Services
from graph_api.errors import ClewError
from graph_api.events import create_broker
from graph_api.logs import configure_logging, request_id_var
from graph_api.schema import schema
from graph_api.services.identity import IdentityService
from graph_api.services.imports import stop_running_imports
from graph_api.services.scans.jobs import SCANS
from graph_api.services.scans.schedules import Scheduler
from graph_api.settings import REPO_ROOT, Settings
from graph_api.store import bookmarks
from graph_api.store.client import Store, create_driver
from graph_api.store.cypher import CypherRegistry
from graph_api.store.interchange import InterchangeRepository
from graph_api.store.migrations import apply_migrations, pending_migrations
from graph_api.store.scans import ScanRepository

log = logging.getLogger("graph_api")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane incoming X-Request-ID), returns it in the
    response headers, and logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope.get("method", "WS"),
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id_var.reset(token)


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/")


_operation_context: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "clew_operation_context", default=None
)


def _start_operation(connection_context: Context) -> Context:
    """A context of its own for one operation sent over a WebSocket, inside its task."""
    request_id = uuid.uuid4().hex
    request_id_var.set(request_id)
    context = connection_context.for_operation(request_id=request_id)
    _operation_context.set(context)
    return context


class _PerOperation:
    """Strawberry gives one context to every operation of a WebSocket; these handlers give
    each operation (its own task) a fresh one on the same connection."""

    _connection_context: Context

    @property
    def context(self) -> Context:
        return _operation_context.get() or self._connection_context

    @context.setter
    def context(self, value: Context) -> None:
        self._connection_context = value


class _TransportWSHandler(_PerOperation, BaseGraphQLTransportWSHandler[Context, None]):
    async def run_operation(self, operation: Operation[Context, None]) -> None:
        _start_operation(self._connection_context)
        await super().run_operation(operation)


class _LegacyWSHandler(_PerOperation, BaseGraphQLWSHandler[Context, None]):
    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        _start_operation(self._connection_context)
        await super().handle_async_results(operation_id, query, operation_name, variables)


class ClewGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = _TransportWSHandler
    graphql_ws_handler_class = _LegacyWSHandler

    def __init__(self, services: Services) -> None:
        super().__init__(schema, multipart_uploads_enabled=True, keep_alive=True)
        self._services = services
        self._ide_html: str | None = None

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        header = request.headers.get("authorization")
        principal, auth_error = await self._services.identity.try_authenticate(header)
        scope = bookmarks.current()
        if scope is not None:
            # From here on (the operation itself, not the token check): a bookmark Neo4j
            # refuses is then the field's typed error.
            scope.wait_for = request.state.wait_for
        connection = Connection(
            principal=principal,
            auth_error=auth_error,
            request=request,
            response=response,
            # A WebSocket signed in by its upgrade request's header is checked again per
            # operation, like one signed in through connection_init.
            ws_authorization=header if isinstance(request, WebSocket) and principal else None,
        )
        return Context(self._services, connection, request_id=request_id_var.get() or None)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        # Browsers cannot set headers on a WebSocket: the token comes in connection_init.
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        if isinstance(header, str) and header:
            if not header.lower().startswith("bearer "):
                header = f"Bearer {header}"
            connection = context.connection
            connection.ws_authorization = header
            identity = self._services.identity
            principal, connection.auth_error = await identity.try_authenticate(header)
            context.sign_in(principal)
        return await super().on_ws_connect(context)

    # The request/response path: caps, malformed bodies, GraphQL-over-HTTP media types
    # (graph_api/graphql_http.py says what and why).
    async def run(
        self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET
    ) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        media_type = graphql_http.negotiate(request.headers.get("accept"))
        request.state.media_type = media_type
        try:
            if request.method == "POST" and not _is_multipart(request):
                # Read here, capped, before Strawberry reads it (Starlette keeps it).
                request._body = await graphql_http.read_body(
                    request,
                    limit=graphql_http.MAX_ANONYMOUS_BODY_BYTES,
                    may_exceed=lambda: self._signed_in(request),
                )
            try:
                wait_for = bookmarks.parse(request.headers.get(bookmarks.HEADER))
            except ValueError as exc:
                raise graphql_http.RequestRefused(400, "BAD_REQUEST", str(exc)) from None
            request.state.wait_for = wait_for
            with bookmarks.request_scope(()) as scope:
                response = await super().run(request, context, root_value)
            if scope.wrote and isinstance(response, Response):
                # Sent back, it makes a read on any replica wait for these writes.
                latest = await self._services.store.latest_bookmarks()
                response.headers[bookmarks.HEADER] = bookmarks.format_header(latest)
        except graphql_http.RequestRefused as refused:
            return graphql_http.error_response(refused, media_type)
        except HTTPException as exc:
            bad = graphql_http.RequestRefused(exc.status_code, "BAD_REQUEST", exc.reason)
            return graphql_http.error_response(bad, media_type)
        if getattr(request.state, "graphql_result", False) and media_type != "application/json":
            response.headers["content-type"] = media_type
            status = getattr(request.state, "graphql_status", None)
            if status is not None:
                response.status_code = status
                if status == 401:
                    response.headers["www-authenticate"] = "Bearer"
        return response

    async def _signed_in(self, request: Request) -> bool:
        principal, _ = await self._services.identity.try_authenticate(
            request.headers.get("authorization")
        )
        return principal is not None

    def decode_json(self, data: str | bytes) -> object:
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(
                    400, "The request body is not valid UTF-8; send JSON encoded as UTF-8."
                ) from None
        decoded = json.loads(data)
        if not isinstance(decoded, (dict, list)):
            raise HTTPException(
                400,
                "A JSON object was expected (the request body, or its variables or "
                f"extensions), not {type(decoded).__name__}: send "
                '{"query": "...", "variables": {...}}.',
            )
        return decoded

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        try:
            form_data = await request.get_form_data()
        except ValueError as e:
            raise HTTPException(400, "Unable to parse the multipart body") from e
        operations = form_data.form.get("operations", "{}")
        files_map = form_data.form.get("map", "{}")
        if isinstance(operations, (bytes, str)):
            operations = self.parse_json(operations)
        if isinstance(files_map, (bytes, str)):
            files_map = self.parse_json(files_map)
        graphql_http.check_upload_map(files_map, operations, dict(form_data.files))
        try:
            return replace_placeholders_with_files(operations, files_map, form_data.files)
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise HTTPException(
                400,
                "A path in the multipart 'map' names no variable of the operation; map each "
                "file to a variable it fills, for example 'variables.file'.",
            ) from e

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        request.state.graphql_result = True
        status = graphql_http.request_error_status(result.errors or [])
        if status is not None and request.state.media_type == graphql_http.GRAPHQL_RESPONSE:
            # The spec: a request error has no `data` entry, and a 4xx status.
            request.state.graphql_status = status
            body.pop("data", None)
        return body

    async def render_graphql_ide(self, request: Request) -> Response:
        if self._ide_html is None:
            self._ide_html = graphiql.render_graphiql_page(self.graphql_ide_html)
        return Response(self._ide_html, media_type="text/html")


async def _migrate_until_ready(app: Starlette) -> None:
    """Apply migrations, retrying while Neo4j is unreachable, so the API can start before
    the database and /readyz tells when it is usable."""
    store: Store = app.state.store
    delay = 1.0
    while True:
        try:
            applied = await apply_migrations(store)
            app.state.migrated = True
            log.info("database ready", extra={"migrations_applied": applied})
            await _bootstrap_admin(app)
            return
        except (ServiceUnavailable, SessionExpired, TransientError, OSError) as exc:
            log.warning("Neo4j not ready yet: %s", exc, extra={"retry_in_s": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
        except Neo4jError as exc:
            # Retrying cannot fix this (e.g. existing data violates a new constraint).
            app.state.migration_error = f"{exc.code}: {exc.message}"
            log.error("a migration failed; fix it and restart", exc_info=True)
            return


async def _bootstrap_admin(app: Starlette) -> None:
    settings: Settings = app.state.settings
    identity: IdentityService = app.state.identity
    if settings.admin_password:
        try:
            created, _ = await identity.bootstrap_admin(
                username=settings.admin_username, password=settings.admin_password
            )
        except ClewError as exc:
            log.error("CLEW_ADMIN_PASSWORD/CLEW_ADMIN_USERNAME not usable: %s", exc.message)
            return
        if created:
            log.info("created the first administrator", extra={"username": settings.admin_username})
    elif await identity.users_count() == 0:
        log.warning(
            "no users yet: nobody can sign in. Run `clew user bootstrap` (prints a generated "
            "password once) or set CLEW_ADMIN_PASSWORD and restart."
        )


WEB_DIST_ENV_VAR = "CLEW_WEB_DIST"


def front_end_routes() -> list[BaseRoute]:
    """The web front end (web/app, built into web/app/dist) at `/`, after every other route;
    without a build, `/` leads to GraphiQL."""
    dist = Path(os.environ.get(WEB_DIST_ENV_VAR) or REPO_ROOT / "web" / "app" / "dist")
    if (dist / "index.html").is_file():
        return [Mount("/", StaticFiles(directory=dist, html=True), name="web")]
    log.warning("the web front end is not built; run `make install` (it builds web/app)")

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    return [Route("/", home)]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    if settings.routing_warning:
        log.warning(settings.routing_warning)
    tracing.configure(endpoint=settings.otel_endpoint, service_name=settings.otel_service_name)
    cypher = CypherRegistry.load(settings.cypher_dir)
    store = Store(create_driver(settings), database=settings.neo4j_database, cypher=cypher)
    # Built once per process; every request and operation shares them. Fails here, before
    # serving, when no usable encryption key is configured.
    services = Services.create(settings, store, broker=create_broker(settings.redis_url))
    broker, connectors, identity = services.broker, services.connectors, services.identity
    graphql_app = ClewGraphQL(services)
    scheduler = Scheduler(services.schedules, poll=settings.scan_schedule_poll_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.migrated = False
        shutdown.reset()
        await broker.start()

        async def drain() -> None:
            shutdown.begin_draining()
            log.info(
                "SIGTERM: draining before stopping",
                extra={
                    "grace_s": settings.shutdown_grace_seconds,
                    "delay_s": settings.shutdown_delay_seconds,
                },
            )
            # Requests keep being served meanwhile: the balancer sees 503 on /readyz and
            # sends new ones elsewhere before this replica stops listening.
            await scheduler.stop()
            await asyncio.gather(
                asyncio.sleep(settings.shutdown_delay_seconds),
                stop_running_imports(grace=settings.shutdown_grace_seconds),
                SCANS.stop_all(grace=settings.shutdown_grace_seconds),
            )

        shutdown.drain_on_sigterm(drain)
        migrate = asyncio.create_task(_migrate_until_ready(app))
        scheduler.start()
        try:
            yield
        finally:
            migrate.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await migrate
            await scheduler.stop()
            await stop_running_imports()
            await SCANS.stop_all()
            await asyncio.to_thread(connectors.close_all)
            await broker.close()
            await identity.close()
            await store.close()
            tracing.shutdown()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        if shutdown.draining():
            return JSONResponse({"status": "stopping"}, status_code=503)
        try:
            await store.driver.verify_connectivity()
            pending = await pending_migrations(store)
        except (ServiceUnavailable, OSError, Neo4jError) as exc:
            return JSONResponse(
                {"status": "unavailable", "neo4j": f"unreachable: {type(exc).__name__}"},
                status_code=503,
            )
        if pending:
            failure = getattr(request.app.state, "migration_error", None)
            return JSONResponse(
                {
                    "status": "migration failed" if failure else "migrating",
                    "neo4j": "ok",
                    "pendingMigrations": pending,
                    **({"error": failure} if failure else {}),
                },
                status_code=503,
            )
        return JSONResponse(
            {"status": "ready", "neo4j": "ok", "migrations": "applied", **_events_status()}
        )

    def _events_status() -> dict[str, str]:
        if settings.redis_url is None:
            return {}
        away = "this replica only: Redis unreachable"
        return {
            "events": "shared" if broker.shared else away,
            "signInThrottle": "shared" if identity.throttle.shared else away,
        }

    async def metrics_endpoint(request: Request) -> Response:
        # Prometheus's text format; the labels hold no user data (graph_api/metrics.py).
        metrics.active_subscriptions.set(broker.total_subscribers())
        metrics.observe_pool(store.driver)
        with contextlib.suppress(ServiceUnavailable, SessionExpired, OSError, Neo4jError):
            metrics.observe_jobs(
                await InterchangeRepository(store).job_counts(),
                await ScanRepository(store).job_counts(),
            )
        return Response(metrics.generate(), media_type=metrics.CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route(
            "/export", requires_role(Role.VIEWER, interchange_http.export_catalog), methods=["GET"]
        ),
        Route("/export/template.xlsx", interchange_http.export_template, methods=["GET"]),
        Route("/api/v1/lineage", openlineage_http.receive_lineage, methods=["POST"]),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),
    ]
    assets = graphiql.find_node_modules()
    if assets is not None:
        routes.append(Mount("/graphiql-assets", graphiql.graphiql_assets_app(assets)))
    else:
        log.warning("GraphiQL assets not installed; run `make install` (npm ci --prefix web)")
    routes.extend(front_end_routes())

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[])
    app.state.store = store
    app.state.broker = broker
    app.state.settings = settings
    app.state.identity = identity
    app.state.services = services
    # Refuse oversized bodies, and uploads from callers who may not import, before they are
    # read (an upload would be spooled to disk).
    app.add_middleware(interchange_http.UploadGuard)
    app.add_middleware(interchange_http.BodySizeLimit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", bookmarks.HEADER],
            expose_headers=["X-Request-ID", bookmarks.HEADER],
        )
    app.add_middleware(RequestIdMiddleware)
    if settings.trusted_proxies:
        # Outermost: the client address every later layer sees (the sign-in throttle
        # included) is the one a trusted proxy forwarded.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
        log.info(
            "X-Forwarded-For is trusted from %s only (CLEW_TRUSTED_PROXIES)",
            ", ".join(settings.trusted_proxies),
        )
    else:
        log.info(
            "X-Forwarded-For is trusted from nobody: each request counts as coming from the "
            "address that connected. Behind a reverse proxy, set CLEW_TRUSTED_PROXIES to its "
            "address."
        )
    return app
