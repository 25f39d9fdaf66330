"""The GraphiQL page Strawberry renders for Clew loads nothing from another origin."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from strawberry.asgi import GraphQL
from strawberry.http.ides import get_graphql_ide_html

from graph_api import graphiql
from graph_api.graphiql import (
    ASSETS,
    GraphiQLAssetsError,
    GraphiQLTemplateError,
    copy_assets,
    find_node_modules,
    graphiql_assets_app,
    render_graphiql_page,
)

WEB = Path(__file__).resolve().parents[1] / "web"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


class LocalGraphiQL(GraphQL):
    """How Clew serves its IDE: Strawberry's page, pointed at local assets."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(render_graphiql_page(self.graphql_ide_html))


def create_test_app(node_modules: Path) -> Starlette:
    graphql = LocalGraphiQL(strawberry.Schema(query=Query))
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Mount("/graphiql-assets", app=graphiql_assets_app(node_modules)),
        ]
    )


@pytest.fixture(scope="module")
def node_modules() -> Path:
    path = find_node_modules()
    if path is None:
        pytest.fail(
            "GraphiQL assets are not installed: run `npm ci --prefix web --no-audit --no-fund`"
        )
    return path


@pytest.fixture(scope="module")
def client(node_modules: Path) -> Iterator[TestClient]:
    with TestClient(create_test_app(node_modules)) as client:
        yield client


@pytest.fixture(scope="module")
def page(client: TestClient) -> str:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL.createFetcher" in response.text  # still Strawberry's page
    return response.text


class _References(HTMLParser):
    """Every src/href attribute and every url(...) / http(s):// in inline code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("src", "href"):
                self.urls.append(value)
            elif name == "style":
                self.urls += _css_urls(value)
        self._inline = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._inline = False

    def handle_data(self, data: str) -> None:
        if self._inline:
            self.urls += _css_urls(data) + re.findall(r"https?://[^\s\"'`)]+", data)


def _css_urls(text: str) -> list[str]:
    return [m.strip("'\" ") for m in re.findall(r"url\(([^)]*)\)", text)]


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.urls


def _asset_urls(html: str) -> list[str]:
    return [url for url in _references(html) if url.startswith("/graphiql-assets/")]


def test_page_references_no_external_host(page: str) -> None:
    urls = _references(page)
    assert urls, "found no references at all: the parser is broken"
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "data":  # Strawberry's favicon is an inline SVG
            continue
        assert (parts.scheme, parts.netloc) == ("", ""), f"{url} leaves the origin"
    assert "integrity=" not in page
    assert "crossorigin" not in page


def test_page_loads_every_asset_locally(page: str) -> None:
    assert sorted(_asset_urls(page)) == sorted(f"/graphiql-assets/{name}" for name in ASSETS)


def test_every_referenced_asset_is_served(client: TestClient, page: str) -> None:
    for url in _asset_urls(page):
        response = client.get(url)
        assert response.status_code == 200, url
        expected = "text/css" if url.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].split(";")[0] == expected, url
        assert len(response.content) > 500, url
        assert "immutable" in response.headers["cache-control"], url
        assert response.headers["x-content-type-options"] == "nosniff"


def test_large_assets_are_compressed(client: TestClient) -> None:
    response = client.get(
        "/graphiql-assets/graphiql@3.8.3/graphiql.min.js", headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"


def test_served_files_are_the_ones_strawberry_pinned(client: TestClient) -> None:
    # Strawberry's page carries subresource-integrity hashes for the CDN files:
    # matching them proves web/ installs exactly the builds the page was written for.
    template = get_graphql_ide_html("graphiql")
    pinned = re.findall(
        r'(?:src|href)="https://unpkg\.com/([^"]+)"\s+integrity="([^"]+)"', template
    )
    assert len(pinned) == len(ASSETS)
    for name, integrity in pinned:
        algorithm, expected = integrity.split("-", 1)
        body = client.get(f"/graphiql-assets/{name}").content
        digest = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
        assert digest == expected, f"{name} differs from the file Strawberry's page expects"


@pytest.mark.parametrize(
    "path",
    [
        "%2e%2e/package.json",
        "%2E%2E%2Fweb%2Fpackage.json",
        "react/package.json",
        "react@18.2.0/package.json",
        "react/umd/react.production.min.js",  # unversioned: not a public name
        "react@18.2.0/umd/react.development.js",
        "graphiql@3.8.3/graphiql.min.js.map",
        "graphiql@3.8.3/",
        "",
    ],
)
def test_only_whitelisted_files_are_served(client: TestClient, path: str) -> None:
    assert client.get(f"/graphiql-assets/{path}").status_code == 404


def test_web_package_pins_the_versions_served() -> None:
    pinned = json.loads((WEB / "package.json").read_text())["dependencies"]
    served = dict(re.match(r"(@?[^@]+)@([^/]+)/", name).groups() for name in ASSETS)
    assert pinned == served


def test_lock_file_installs_only_registry_tarballs() -> None:
    lock = json.loads((WEB / "package-lock.json").read_text())
    for path, entry in lock["packages"].items():
        if not path:
            continue
        assert not entry.get("link"), path
        assert entry["integrity"].startswith("sha512-"), path
        resolved = entry.get("resolved")
        if resolved is not None:  # absent when written with omit-lockfile-registry-resolved
            assert urlsplit(resolved).scheme == "https", path
            assert resolved.endswith(f"-{entry['version']}.tgz"), path


@pytest.mark.parametrize(
    "tag",
    [
        '<script src="https://unpkg.com/graphiql@4.0.0/graphiql.min.js"></script>',
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/graphiql/graphiql.css" />',
        "<script src='https://unpkg.com/react@18.2.0/umd/react.production.min.js'></script>",
        '<script type="module">import { GraphiQL } from "https://esm.sh/graphiql";</script>',
        "<style>@import url(https://fonts.googleapis.com/css?family=Inter);</style>",
        '<img src="//example.com/logo.png">',
    ],
)
def test_unknown_external_references_fail_loudly(tag: str) -> None:
    with pytest.raises(GraphiQLTemplateError):
        render_graphiql_page(f"<html><head>{tag}</head><body></body></html>")


def test_assets_prefix_is_configurable() -> None:
    html = render_graphiql_page(get_graphql_ide_html("graphiql"), "/clew/static/")
    assert '"/clew/static/graphiql@3.8.3/graphiql.min.js"' in html


def test_assets_app_refuses_an_incomplete_install(tmp_path: Path) -> None:
    with pytest.raises(GraphiQLAssetsError, match="npm ci"):
        graphiql_assets_app(tmp_path)


def test_copied_assets_are_enough_to_serve(node_modules: Path, tmp_path: Path) -> None:
    copy_assets(node_modules, tmp_path)
    with TestClient(graphiql_assets_app(tmp_path)) as client:
        for name, path in ASSETS.items():
            assert client.get(f"/{name}").content == (node_modules / path).read_bytes()
    size = sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file())
    assert size < 8_000_000


def test_find_node_modules_honours_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(graphiql.ENV_VAR, str(tmp_path))
    assert find_node_modules() == tmp_path
    monkeypatch.setenv(graphiql.ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(GraphiQLAssetsError):
        find_node_modules()
    monkeypatch.delenv(graphiql.ENV_VAR)
    assert find_node_modules() in (None, WEB / "node_modules")
