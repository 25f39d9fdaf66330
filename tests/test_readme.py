"""The README's walkthrough runs as written, from an empty catalog, and answers what it shows.

Each ```graphql block of "What it does, in one session" is sent over HTTP as the README's user
(an editor, or the role an `<!-- as ROLE -->` comment above it names), with the ```json block
after it as its variables when that is not an answer. The answer must match the ```json block
that follows: ids shortened to `ee2c7ca0-…` stand for the id first seen at that place (and are
replaced by it in later variables), a string ending in `…` matches any string starting with
what comes before it, a bare `…` ends a list that goes on, and timestamps match any timestamp.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from graph_api.app import create_app
from graph_api.auth.roles import Role
from graph_api.settings import REPO_ROOT, Settings
from graph_api.store.client import Store
from tests.conftest import sign_in

SECTION = "## What it does, in one session"
FENCE = re.compile(r"^(?:<!-- as (\w+) -->\n)?```(\w+)\n(.*?)^```", re.M | re.S)
SHORT_ID = re.compile(r"^[0-9a-f]{8}-…$")
MORE = "\u2026more"
# Who the walkthrough signs in as, by role.
USERNAMES = {Role.VIEWER: "vera", Role.EDITOR: "ed", Role.STEWARD: "stella", Role.ADMIN: "ada"}


@dataclass
class Step:
    query: str
    role: Role
    variables: str | None = None
    answer: str = ""


@dataclass
class Ids:
    seen: dict[str, str] = field(default_factory=dict)

    def substitute(self, text: str) -> str:
        def real(match: re.Match[str]) -> str:
            short = match.group(0)
            assert short in self.seen, f"{short} is used before any answer showed it"
            return self.seen[short]

        return re.sub(r"[0-9a-f]{8}-…", real, text)


def walkthrough() -> list[Step]:
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    steps: list[Step] = []
    for match in FENCE.finditer(readme[start:end]):
        role, language, body = match.groups()
        if language == "graphql":
            steps.append(Step(body, Role[role.upper()] if role else Role.EDITOR))
        elif language == "json" and steps and not steps[-1].answer:
            if re.match(r'\s*\{\s*"(data|errors)"', body):
                steps[-1].answer = body
            else:
                steps[-1].variables = body
    return steps


def expected(text: str) -> Any:
    """The README's JSON, with a bare `…` (a list that goes on) made readable to json."""
    return json.loads(re.sub(r"(?<=[\[,\s])…(?=\s*[\],])", lambda _: json.dumps(MORE), text))


def matches(want: Any, got: Any, ids: Ids, where: str = "") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: expected an object, got {got!r}"
        assert set(got) == set(want), f"{where}: keys {sorted(got)} instead of {sorted(want)}"
        for key, value in want.items():
            matches(value, got[key], ids, f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list), f"{where}: expected a list, got {got!r}"
        goes_on = bool(want) and want[-1] == MORE
        shown = want[:-1] if goes_on else want
        assert len(got) >= len(shown) if goes_on else len(got) == len(shown), (
            f"{where}: {len(got)} items instead of {len(shown)}{' or more' if goes_on else ''}"
        )
        for index, value in enumerate(shown):
            matches(value, got[index], ids, f"{where}[{index}]")
    elif isinstance(want, str) and SHORT_ID.match(want):
        assert isinstance(got, str), f"{where}: expected an id, got {got!r}"
        assert ids.seen.setdefault(want, got) == got, f"{where}: {want} was {ids.seen[want]}"
    elif isinstance(want, str) and want.endswith("…"):
        assert isinstance(got, str) and got.startswith(want[:-1]), f"{where}: {got!r}"
    elif isinstance(want, str) and _timestamp(want):
        assert isinstance(got, str) and _timestamp(got), f"{where}: {got!r} is no timestamp"
    else:
        assert got == want, f"{where}: {got!r} instead of {want!r}"


def _timestamp(text: str) -> bool:
    if not re.match(r"^\d{4}-\d\d-\d\dT", text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    # `store` is requested so the autouse fixture wipes the database first.
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_walkthrough_is_complete() -> None:
    steps = walkthrough()
    assert len(steps) >= 6
    assert all(step.answer for step in steps), [s.query for s in steps if not s.answer]


def test_the_walkthrough_runs_as_written_from_an_empty_catalog(client: TestClient) -> None:
    users: dict[Role, dict[str, str]] = {role: {} for role in Role}
    ids = Ids()
    for number, step in enumerate(walkthrough(), start=1):
        if not users[step.role]:
            users[step.role] = sign_in(client, USERNAMES[step.role], step.role)
        variables = json.loads(ids.substitute(step.variables)) if step.variables else None
        response = client.post(
            "/graphql",
            json={"query": step.query, "variables": variables},
            headers=users[step.role],
        )
        answer = response.json()
        try:
            matches(expected(step.answer), answer, ids, f"step {number}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n\nthe answer was:\n{json.dumps(answer)}") from None
