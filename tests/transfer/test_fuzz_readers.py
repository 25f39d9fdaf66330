"""Malformed import files, generated: whatever bytes arrive, a dry-run import ends with a report
(problems listed, or success), never with an unexpected exception or a failure on our side.

Seeds are real exports of a small catalog in every encoding; Hypothesis truncates them, flips
bytes, inlines huge fields, re-encodes them and damages the members of the zip-based ones.
Set CLEW_FUZZ_EXAMPLES to run more.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_api.errors import ClewError
from graph_api.services.transfer import ImportMode, ImportOptions, TransferService
from graph_api.transfer.format import Encoding
from tests.transfer.conftest import DATA, export, run_import

# Restarts Neo4j or fuzzes: left out of `make test-fast`.
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CLEW_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
SUFFIX = {
    Encoding.XLSX: ".xlsx",
    Encoding.CSV: ".zip",
    Encoding.JSON: ".json",
    Encoding.YAML: ".yaml",
}
INTERNAL = "Something went wrong on our side"


@pytest.fixture
async def seeds(transfer: TransferService, tmp_path: Path) -> dict[Encoding, bytes]:
    await run_import(transfer, DATA / "catalog.yaml")
    return {encoding: await export(transfer, encoding) for encoding in Encoding}


def mutate(data: bytes) -> st.SearchStrategy[bytes]:
    def flip(draw: st.DrawFn) -> bytes:
        buffer = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            buffer[draw(st.integers(0, len(buffer) - 1))] = draw(st.integers(0, 255))
        return bytes(buffer)

    def huge(draw: st.DrawFn) -> bytes:
        at = draw(st.integers(0, len(data)))
        blob = draw(st.sampled_from([b"x", b'"', b",", b"\n", b"\xff", b"{", b"- "]))
        return data[:at] + blob * draw(st.integers(10_000, 300_000)) + data[at:]

    def reencode(draw: st.DrawFn) -> bytes:
        text = data.decode("utf-8", "replace").replace(
            "a", draw(st.sampled_from(["ä", "\u2028", "\x00"])), 3
        )
        return text.encode(
            draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])), "replace"
        )

    def members(draw: st.DrawFn) -> bytes:
        # Damage what is inside the zip (xlsx sheets, CSV files), keeping the zip itself valid.
        source = zipfile.ZipFile(io.BytesIO(data))
        names = source.namelist()
        victim = draw(st.sampled_from(names))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for name in names:
                content = source.read(name)
                if name == victim:
                    cut = draw(st.integers(0, len(content)))
                    content = content[:cut] + draw(st.binary(max_size=64))
                target.writestr(name, content)
        return out.getvalue()

    strategies = [
        st.binary(max_size=2048),
        st.integers(0, len(data)).map(lambda n: data[:n]),
        st.composite(lambda draw: flip(draw))(),
        st.composite(lambda draw: huge(draw))(),
        st.composite(lambda draw: reencode(draw))(),
    ]
    if data[:2] == b"PK":
        strategies.append(st.composite(lambda draw: members(draw))())
    return st.one_of(strategies)


@FUZZ
@given(data=st.data())
async def test_damaged_files_end_in_a_report_not_a_crash(
    transfer: TransferService, seeds: dict[Encoding, bytes], tmp_path: Path, data: st.DataObject
) -> None:
    encoding = data.draw(st.sampled_from(list(Encoding)), label="encoding")
    content = data.draw(mutate(seeds[encoding]), label="content")
    path = tmp_path / f"damaged{SUFFIX[encoding]}"
    path.write_bytes(content)
    try:
        job = await transfer.run(
            path=path,
            file_name=path.name,
            options=ImportOptions(dry_run=True, mode=ImportMode.ALL_OR_NOTHING),
        )
    except ClewError:
        return  # refused up front with a message (e.g. not a zip at all): fine
    assert job.failure is None or INTERNAL not in job.failure, (encoding, job.failure)
    assert job.report is not None, (encoding, job.failure)
