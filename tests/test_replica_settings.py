"""What a replica checks at start-up: a Neo4j every replica reaches, addressed so it routes."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from graph_api.app import create_app
from graph_api.secrets import generate_key
from graph_api.settings import REPO_ROOT, Settings, SettingsError


def env(**values: str) -> dict[str, str]:
    return {"CLEW_SECRET_KEYS": generate_key(), **values}


def test_replicas_need_a_neo4j_uri_and_never_get_the_local_neo4j() -> None:
    with pytest.raises(SettingsError, match="CLEW_REPLICAS=2 needs a Neo4j every replica"):
        Settings.from_env(env(CLEW_REPLICAS="2"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CLEW_"))}
    started = subprocess.run(
        [sys.executable, "-m", "graph_api.cli", "neo4j", "start"],
        cwd=REPO_ROOT,
        env={**clean, **env(CLEW_REPLICAS="3", CLEW_DATA_DIR=str(REPO_ROOT / ".clew/nowhere"))},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "CLEW_REPLICAS=3 needs a Neo4j every replica reaches" in started.stderr + started.stdout
    assert not (REPO_ROOT / ".clew/nowhere/neo4j").exists()


def test_a_bolt_uri_with_replicas_is_warned_about_at_start_up(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    bolt = Settings.from_env(env(CLEW_REPLICAS="2", NEO4J_URI="bolt://db.example.com:7687"))
    assert bolt.routing_warning is not None and "neo4j://" in bolt.routing_warning
    assert Settings.from_env(env(NEO4J_URI="bolt://db:7687")).routing_warning is None
    routed = Settings.from_env(env(CLEW_REPLICAS="2", NEO4J_URI="neo4j+s://x.databases.neo4j.io"))
    assert routed.routing_warning is None
    create_app(replace(settings, replicas=2, neo4j_uri="bolt://127.0.0.1:1"))
    assert "is a bolt:// address: it never routes" in capsys.readouterr().err
