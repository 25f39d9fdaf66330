"""Zip files (workbooks and CSV archives): what they hold, and the limits on what they may
unpack to, checked before and while anything is unpacked."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from graph_api.interchange.codecs.common import DAMAGED, reason_of
from graph_api.interchange.report import Problem, ProblemCode

# A zip (workbook or CSV archive) is checked by its declared sizes before anything is unpacked
# (openpyxl holds a workbook's whole shared-strings part in memory, and a few hundred KB can
# declare gigabytes of them), and a CSV archive again by the bytes it really unpacks while it is
# read. Each member, and the archive as a whole, may unpack to at most MAX_RATIO times its
# packed size once it passes RATIO_FLOOR: real sheets and CSV files stay far below that ratio,
# and a small file cannot cost much whatever its ratio.
MAX_UNPACKED_BYTES = 2 * 1024**3


MAX_RATIO = 200  # unpacked/packed


RATIO_FLOOR = 1024**2


def ratio_limit(packed: int) -> int:
    return max(RATIO_FLOOR, MAX_RATIO * max(packed, 1))


def _mb(size: int) -> str:
    return f"{size / 1024**2:.0f} MB" if size >= 1024**2 else f"{size / 1024:.0f} KB"


def unpacks_too_large(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except DAMAGED:
        return None  # reported as unreadable by the reader that opens it
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        return f"unpacks to {total / 1024**3:.1f} GB"
    for member in members:
        if member.file_size > ratio_limit(member.compress_size):
            return (
                f"holds '{member.filename}', which unpacks to {_mb(member.file_size)} from "
                f"{_mb(member.compress_size)} (more than {MAX_RATIO} times its packed size)"
            )
    packed = path.stat().st_size
    if total > ratio_limit(packed):
        return f"unpacks to {_mb(total)} from {_mb(packed)} (more than {MAX_RATIO} times its size)"
    return None


class Inflated(Exception):
    """A zip member unpacked to more than the ratio allows while it was read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Budget:
    """What the whole archive may still unpack to, counted as members are read."""

    left: int


class Metered(io.BufferedIOBase):
    """A zip member that counts what it really unpacks, whatever its header declares."""

    def __init__(
        self, raw: IO[bytes], *, label: str, packed: int, budget: Budget, archive_size: int
    ) -> None:
        self._raw = raw
        self._label = label
        self._packed = packed
        self._left = ratio_limit(packed)
        self._budget = budget
        self._archive_size = archive_size

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self._raw.read(-1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        return self._count(self._raw.read(size))

    def _count(self, data: bytes) -> bytes:
        self._left -= len(data)
        self._budget.left -= len(data)
        if self._left < 0:
            raise Inflated(
                f"'{self._label}' unpacks to more than {MAX_RATIO} times its packed size "
                f"({_mb(self._packed)})"
            )
        if self._budget.left < 0:
            raise Inflated(
                f"the archive unpacks to more than {MAX_RATIO} times its size "
                f"({_mb(self._archive_size)})"
            )
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def inflated_problem(file_name: str, label: str, reason: str) -> Problem:
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"The file '{file_name}' was not imported: {reason}, which no catalog file comes near "
        "(it is mostly blank or repeated). Remove the blank lines, or export the file again "
        "and import that.",
        file=file_name,
        section=label,
    )


def opens_as_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path):
            return True
    except DAMAGED:
        return False


def _local_names(path: Path, *, limit: int = 1 << 20) -> list[str]:
    """Member names from the local headers at the start of a zip: a zip cut short loses its
    central directory (at the end), but its first members still name themselves."""
    with path.open("rb") as handle:
        data = handle.read(limit)
    names = []
    at = data.find(b"PK\x03\x04")
    while at != -1 and at + 30 <= len(data):
        length = int.from_bytes(data[at + 26 : at + 28], "little")
        names.append(data[at + 30 : at + 30 + length].decode("utf-8", "replace"))
        at = data.find(b"PK\x03\x04", at + 30)
    return names


def holds_workbook_parts(path: Path) -> bool:
    return any(n.startswith("xl/") or n == "[Content_Types].xml" for n in _local_names(path))


def holds_only_csv(path: Path) -> bool:
    names = _local_names(path)
    return (
        bool(names)
        and not holds_workbook_parts(path)
        and all(n.endswith("/") or n.lower().endswith((".csv", ".tsv", ".txt")) for n in names)
    )


def is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except DAMAGED:
        return False
    return (
        "xl/workbook.xml" in names
        or "[Content_Types].xml" in names
        and any(n.startswith("xl/") for n in names)
    )


def damaged_member(file_name: str, label: str, after_row: int, exc: Exception) -> Problem:
    where = f"after row {after_row}" if after_row else "from its start"
    return Problem(
        ProblemCode.UNREADABLE_FILE,
        f"'{label}' in the zip archive '{file_name}' is damaged and cannot be read {where} "
        f"({reason_of(exc)}); nothing after that was read. Save the CSV files again from your "
        "spreadsheet program, zip them again and import the new archive.",
        file=file_name,
        section=label,
        row=after_row + 1 if after_row else None,
        value=reason_of(exc),
    )


def damaged_workbook(file_name: str, reason: str | None = None) -> Problem:
    return Problem(
        ProblemCode.NOT_A_WORKBOOK,
        f"The Excel workbook '{file_name}' is damaged or incomplete and cannot be read"
        + (f" ({reason})" if reason else "")
        + f". {RESAVE}",
        file=file_name,
        value=reason,
    )


RESAVE = (
    "Open it in your spreadsheet program, save it again as 'Excel Workbook (.xlsx)' and import "
    "the new file (if it was copied or downloaded, copy it again: it may have been cut off)."
)
