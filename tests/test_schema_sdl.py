"""schema.graphql is always the SDL the code exports."""

from graph_api.schema import schema
from graph_api.settings import REPO_ROOT


def test_schema_file_matches_the_code() -> None:
    on_disk = (REPO_ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert on_disk == schema.as_str() + "\n", (
        "schema.graphql is out of date: run `.venv/bin/clew export-schema` and commit it"
    )
