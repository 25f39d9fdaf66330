"""CLEW_CORS_ORIGINS: a front end on another origin may call the API, and no one else."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from graph_api.app import create_app
from graph_api.settings import Settings, SettingsError

FRONT_END = "https://catalog.example.com"
PREFLIGHT = {
    "Origin": FRONT_END,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, x-request-id",
}


def test_preflight_from_an_allowed_origin_is_answered(settings: Settings) -> None:
    app = create_app(replace(settings, cors_origins=(FRONT_END, "http://localhost:5173")))
    client = TestClient(app)  # no lifespan: CORS answers before anything touches Neo4j

    response = client.options("/graphql", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT_END
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {
        "GET",
        "POST",
        "OPTIONS",
    }
    allowed = {h.lower() for h in response.headers["access-control-allow-headers"].split(", ")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed

    simple = client.get("/healthz", headers={"Origin": FRONT_END})
    assert simple.headers["access-control-allow-origin"] == FRONT_END
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


def test_other_origins_and_methods_are_refused(settings: Settings) -> None:
    client = TestClient(create_app(replace(settings, cors_origins=(FRONT_END,))))
    other = client.options("/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    delete = client.options(
        "/graphql", headers={**PREFLIGHT, "Access-Control-Request-Method": "DELETE"}
    )
    assert delete.status_code == 400


def test_without_origins_no_cors_headers_are_sent(settings: Settings) -> None:
    client = TestClient(create_app(replace(settings, cors_origins=())))
    response = client.get("/healthz", headers={"Origin": FRONT_END})
    assert "access-control-allow-origin" not in response.headers
    assert (
        "access-control-allow-origin" not in client.options("/graphql", headers=PREFLIGHT).headers
    )


def test_origins_are_read_from_the_environment() -> None:
    env = {"CLEW_SECRET_KEYS": "", "CLEW_CORS_ORIGINS": f" {FRONT_END}/ , http://localhost:5173,"}
    assert Settings.from_env(env).cors_origins == (FRONT_END, "http://localhost:5173")
    assert Settings.from_env({}).cors_origins == ()
    with pytest.raises(SettingsError, match="CLEW_CORS_ORIGINS"):
        Settings.from_env({"CLEW_CORS_ORIGINS": "catalog.example.com"})
