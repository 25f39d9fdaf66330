"""Serve Strawberry's GraphiQL page without reaching the internet.

Strawberry's built-in GraphiQL page loads React, GraphiQL and the explorer plugin
from a public CDN. Clew runs where that CDN may be unreachable (air-gapped sites,
locked-down networks), and loading code from a third party is a supply-chain risk
anyway. So the exact same files are installed from npm into ``web/node_modules``
(pinned in ``web/package.json``), served by :func:`graphiql_assets_app`, and
:func:`render_graphiql_page` points the page at them.

When a Strawberry upgrade changes the page (new versions, new files), rendering
fails with :class:`GraphiQLTemplateError` instead of quietly using the CDN again:
bump ``web/package.json`` and ``_FILES`` below together.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

ENV_VAR = "CLEW_GRAPHIQL_ASSETS"

# The CDN that Strawberry's graphiql.html (strawberry-graphql 0.341) loads from.
_CDN = "https://unpkg.com/"

# (npm package, version, file in the package) for every file that page loads;
# the versions must equal those pinned in web/package.json.
_FILES: tuple[tuple[str, str, str], ...] = (
    ("react", "18.2.0", "umd/react.production.min.js"),
    ("react-dom", "18.2.0", "umd/react-dom.production.min.js"),
    ("js-cookie", "3.0.5", "dist/js.cookie.min.js"),
    ("graphiql", "3.8.3", "graphiql.min.js"),
    ("graphiql", "3.8.3", "graphiql.min.css"),
    ("@graphiql/plugin-explorer", "1.0.2", "dist/index.umd.js"),
    ("@graphiql/plugin-explorer", "1.0.2", "dist/style.css"),
)

# Public name (the CDN path, so it carries the version and can be cached
# forever) -> path inside node_modules.
ASSETS: dict[str, str] = {
    f"{pkg}@{version}/{file}": f"{pkg}/{file}" for pkg, version, file in _FILES
}

_CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_ASSET_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}


class GraphiQLTemplateError(RuntimeError):
    """The IDE page references something Clew cannot serve locally."""


class GraphiQLAssetsError(RuntimeError):
    """The node_modules directory lacks a file, or holds the wrong version."""


def find_node_modules() -> Path | None:
    """Where the GraphiQL assets are installed, or None if they are not.

    ``$CLEW_GRAPHIQL_ASSETS`` wins (an installed wheel has no web/ beside it);
    otherwise ``web/node_modules`` at the root of a source checkout.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        if not path.is_dir():
            # A misconfigured deployment should fail, not lose its IDE silently.
            raise GraphiQLAssetsError(f"{ENV_VAR}={configured!r} is not a directory")
        return path
    path = Path(__file__).resolve().parents[1] / "web" / "node_modules"
    return path if path.is_dir() else None


def _manifests() -> list[str]:
    return sorted({f"{pkg}/package.json" for pkg, _, _ in _FILES})


def _check_installed(node_modules: Path) -> None:
    problems: list[str] = []
    for pkg, version in sorted({(pkg, version) for pkg, version, _ in _FILES}):
        try:
            manifest = (node_modules / pkg / "package.json").read_text(encoding="utf-8")
            installed = json.loads(manifest)["version"]
        except (OSError, ValueError, KeyError):
            problems.append(f"{pkg} is not installed")
            continue
        if installed != version:
            # Serving another version under this versioned, immutable URL would poison caches.
            problems.append(f"{pkg} is {installed}, expected {version}")
    problems += [
        f"{path} is missing" for path in ASSETS.values() if not (node_modules / path).is_file()
    ]
    if problems:
        raise GraphiQLAssetsError(
            f"GraphiQL assets in {node_modules}: {'; '.join(problems)} (run `npm ci --prefix web`)"
        )


def copy_assets(node_modules: Path, destination: Path) -> None:
    """Copy just what serving needs (4 of node_modules' 55 MB), e.g. into a container image."""
    _check_installed(node_modules)
    for path in [*ASSETS.values(), *_manifests()]:
        (destination / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / path, destination / path)


def graphiql_assets_app(node_modules: Path) -> Starlette:
    """An ASGI app serving exactly the files in :data:`ASSETS`; mount it at /graphiql-assets.

    Requests are looked up by name in the whitelist, never joined onto the file
    system, so there is nothing to traverse and nothing to list.
    """
    _check_installed(node_modules)
    files = {name: node_modules / path for name, path in ASSETS.items()}

    async def asset(request: Request) -> Response:
        path = files.get(request.path_params["name"])
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(path, media_type=_CONTENT_TYPES[path.suffix], headers=_ASSET_HEADERS)

    return Starlette(
        routes=[Route("/{name:path}", asset, methods=["GET", "HEAD"])],
        # graphiql.min.js is 3.5 MB; gzip takes it to about 1 MB on the wire.
        middleware=[Middleware(GZipMiddleware)],
    )


_URL_ATTRIBUTE = re.compile(r'(?<![\w-])(?P<attr>src|href)\s*=\s*"(?P<url>[^"]*)"', re.IGNORECASE)
# npm ci already checked every tarball against package-lock.json, and
# tests/test_graphiql.py checks the files against Strawberry's hashes; in the
# page, integrity (and crossorigin, which exists for it) would only turn a
# harmless difference into a blank IDE with the reason hidden in the console.
_CDN_ONLY_ATTRIBUTE = re.compile(
    r'\s+(?:integrity\s*=\s*"[^"]*"|crossorigin(?:\s*=\s*"[^"]*")?)(?=[\s/>])', re.IGNORECASE
)
# Quoted values may hold ">" (Strawberry's favicon is an inline SVG).
_TAG = re.compile(r"""<(?:script|link)\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def _localize_tag(tag: str, assets_prefix: str) -> str:
    def replace(match: re.Match[str]) -> str:
        url = match["url"]
        if not _EXTERNAL.match(url):
            return match[0]
        name = url.removeprefix(_CDN) if url.startswith(_CDN) else None
        if name not in ASSETS:
            raise GraphiQLTemplateError(
                f"the GraphiQL page loads {url!r}, which Clew does not serve locally; "
                "pin it in web/package.json and add it to graph_api/graphiql.py"
            )
        return f'{match["attr"]}="{assets_prefix}/{name}"'

    localized = _URL_ATTRIBUTE.sub(replace, tag)
    return _CDN_ONLY_ATTRIBUTE.sub("", localized) if localized != tag else tag


class _ExternalReferences(HTMLParser):
    """Collects whatever would still make the browser leave the origin."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_raw_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for _, value in attrs if value and _EXTERNAL.match(value)]
        self._in_raw_text = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._in_raw_text = False

    def handle_data(self, data: str) -> None:
        # Inline code can load from a CDN too (an ES-module import, a CSS @import or url()).
        if self._in_raw_text:
            self.found += re.findall(r"https?://[^\s\"'`)]+", data)


def _external_references(html: str) -> list[str]:
    parser = _ExternalReferences()
    parser.feed(html)
    parser.close()
    return parser.found


@functools.lru_cache(maxsize=8)
def render_graphiql_page(template: str, assets_prefix: str = "/graphiql-assets") -> str:
    """Strawberry's GraphiQL HTML, its CDN scripts and stylesheets served from ``assets_prefix``.

    Raises :class:`GraphiQLTemplateError` if the page would still load anything
    from another origin.
    """
    prefix = assets_prefix.rstrip("/")
    html = _TAG.sub(lambda match: _localize_tag(match[0], prefix), template)
    if leftovers := _external_references(html):
        raise GraphiQLTemplateError(
            f"the GraphiQL page still references other origins: {', '.join(leftovers)}"
        )
    return html
