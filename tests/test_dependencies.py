"""What is installed is what was tested: uv.lock pins every package, agrees with pyproject.toml,
and is what this environment holds."""

from __future__ import annotations

import re
import subprocess
import tomllib
from importlib import metadata

from graph_api.settings import REPO_ROOT

UV = REPO_ROOT / ".uv" / "bin" / "uv"


def _lock() -> dict:
    return tomllib.loads((REPO_ROOT / "uv.lock").read_text())


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement(line: str) -> tuple[str, str]:
    match = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)", line)
    assert match, line
    return _normal(match.group(1)), match.group(3).replace(" ", "")


def test_the_lock_states_the_ranges_pyproject_asks_for() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_requirement(line) for line in project["dependencies"]}
    for lines in project.get("optional-dependencies", {}).values():
        wanted |= {_requirement(line) for line in lines}
    (clew,) = [p for p in _lock()["package"] if p["name"] == "clew"]
    locked = {
        (_normal(r["name"]), r.get("specifier", "").replace(" ", ""))
        for r in clew["metadata"]["requires-dist"]
    }
    assert locked == wanted, "pyproject.toml and uv.lock disagree: run `make lock`"


def test_uv_agrees_the_lock_is_current() -> None:
    checked = subprocess.run(
        [str(UV), "lock", "--check", "--offline"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_every_locked_package_has_one_version_with_hashes() -> None:
    packages = [p for p in _lock()["package"] if p["name"] != "clew"]
    assert len({p["name"] for p in packages}) == len(packages)
    for package in packages:
        files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
        assert files, package["name"]
        assert all(f["hash"].startswith("sha256:") for f in files), package["name"]


def test_this_environment_holds_exactly_the_locked_versions() -> None:
    locked = {_normal(p["name"]): p["version"] for p in _lock()["package"]}
    for name in ("pyyaml", "strawberry-graphql", "neo4j", "starlette", "pytest"):
        assert metadata.version(name) == locked[name], name
    installed = {_normal(d.metadata["Name"]): d.version for d in metadata.distributions()}
    drift = {n: (v, locked[n]) for n, v in installed.items() if n in locked and locked[n] != v}
    assert not drift, f"installed versions differ from uv.lock: {drift}"
