"""JSON: an object of sections, each a list of row objects, parsed incrementally."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from graph_api.interchange.cells import write_cell
from graph_api.interchange.codecs.common import (
    META_KEYS,
    SECTION_NAMES,
    FileInfo,
    ProblemSink,
    RawRow,
    RawSection,
    StopFile,
    Writer,
    checked_item,
    json_object,
    meta_items,
    text_stream,
    version_number,
)
from graph_api.interchange.format import Encoding, Section, normalise_header, section_for, suggest
from graph_api.interchange.report import Place, Problem, ProblemCode


class _JsonStream:
    """An incremental reader for a JSON object whose values are arrays of small objects: each
    item is decoded on its own, so memory holds one item, not the document."""

    CHUNK = 1 << 16
    # Far above any real item (a transformation's SQL is at most 100,000 characters); without
    # a bound, one unclosed quote would make the reader take in the rest of the file.
    MAX_ITEM = 4 * 1024 * 1024

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self.line = 1
        self._decoder = json.JSONDecoder(object_pairs_hook=json_object)

    def _fill(self) -> bool:
        if self._eof:
            return False
        # Reading as much again as is buffered (up to the cap) keeps retrying a long item
        # linear, not quadratic.
        held = len(self._buffer) - self._pos
        chunk = self._stream.read(max(self.CHUNK, min(held, self.MAX_ITEM - held)))
        if not chunk:
            self._eof = True
            return False
        if self._pos:
            self._buffer = self._buffer[self._pos :]
            self._pos = 0
        self._buffer += chunk
        return True

    def _advance(self, to: int) -> None:
        self.line += self._buffer.count("\n", self._pos, to)
        self._pos = to

    def peek(self) -> str:
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in " \t\r\n":
                self._advance(self._pos + 1)
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> None:
        char = self.peek()
        if char != expected:
            found = f"'{char}'" if char else "the end of the file"
            raise _JsonError(f"expected '{expected}' but found {found}", self.line)
        self._advance(self._pos + 1)

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                line = self.line + self._buffer.count("\n", self._pos, exc.pos)
                if _more_may_help(exc, len(self._buffer)):
                    if len(self._buffer) - self._pos > self.MAX_ITEM:
                        reason = exc.msg.lower().removesuffix(" at")
                        raise _JsonError(
                            f"the value starting at line {self.line} is larger than "
                            f"{self.MAX_ITEM // 1024**2} MB or never ends ({reason} at "
                            f"line {line}), so it was not read",
                            self.line,
                        ) from None
                    if self._fill():
                        continue
                raise _JsonError(exc.msg.lower(), line) from None
            except RecursionError:
                # The decoder recurses per level of nesting; the format needs three.
                raise _JsonError(
                    f"the value starting at line {self.line} is nested too deeply; the format "
                    "needs only sections holding rows of plain values",
                    self.line,
                ) from None
            if end == len(self._buffer) and self._fill():
                continue  # a number may go on in the next chunk
            self._advance(end)
            return value


def _more_may_help(exc: json.JSONDecodeError, buffered: int) -> bool:
    """Whether the error may only mean the item goes on past what is buffered: an unclosed
    string, or a failure within a token's length of the end. Anything earlier is a real
    mistake, reported at once instead of reading on."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= buffered - 16


class _JsonError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def read_json(
    path: Path, file_name: str, problem: ProblemSink, info: FileInfo
) -> Iterator[RawSection]:
    stream = text_stream(path)
    parser = _JsonStream(stream)

    def malformed(message: str, line: int) -> Problem:
        return Problem(
            ProblemCode.MALFORMED_JSON,
            f"The JSON in '{file_name}' is malformed at line {line}: {message}. Check for a "
            "missing comma, quote or bracket there.",
            file=file_name,
            line=line,
            value=message,
        )

    try:
        try:
            if parser.peek() != "{":
                found = parser.peek()
                raise _JsonError(
                    'the document must be an object such as {"tables": [...]}, found '
                    + (f"'{found}'" if found else "nothing"),
                    parser.line,
                )
            parser.take("{")
            first = True
            while True:
                if parser.peek() == "}":
                    parser.take("}")
                    break
                if not first:
                    parser.take(",")
                first = False
                key_line = parser.line
                key = parser.value()
                if not isinstance(key, str):
                    raise _JsonError("expected a section name in quotes", key_line)
                parser.take(":")
                section = section_for(key)
                if section is None:
                    value = parser.value()
                    json_meta(key, value, key_line, file_name, problem, info)
                    continue
                if parser.peek() == "n":
                    parser.value()  # "tables": null is an empty section
                    continue
                place = Place(file_name, section.name, key, unit="Item")
                info.sections.append(section.name)
                items = _json_items(parser, malformed, problem, place, section)
                yield RawSection(place, section, None, None, items, False)
        except _JsonError as exc:
            problem(malformed(exc.message, exc.line))
        except UnicodeDecodeError:
            problem(
                Problem(
                    ProblemCode.WRONG_ENCODING,
                    f"'{file_name}' is not UTF-8 text (near line {parser.line}); save it as UTF-8.",
                    file=file_name,
                    line=parser.line,
                )
            )
    finally:
        stream.close()


def _json_items(
    parser: _JsonStream,
    malformed: Callable[[str, int], Problem],
    problem: ProblemSink,
    place: Place,
    section: Section,
) -> Iterator[RawRow]:
    number = 0
    try:
        parser.take("[")
        while True:
            if parser.peek() == "]":
                parser.take("]")
                return
            if number:
                parser.take(",")
            number += 1
            parser.peek()
            line = parser.line
            yield checked_item(RawRow(number, parser.value(), line), place, section, problem)
    except _JsonError as exc:
        problem(malformed(exc.message, exc.line))
        raise StopFile() from None


def json_meta(
    key: str, value: Any, line: int | None, file_name: str, problem: ProblemSink, info: FileInfo
) -> None:
    normal = normalise_header(key)
    if normal == "version":
        info.version = version_number(value)
    elif normal == "format":
        info.format_name = str(value)
    elif normal not in META_KEYS:
        hint = suggest(normal, SECTION_NAMES)
        problem(
            Problem(
                ProblemCode.UNKNOWN_SECTION,
                f"'{key}' (line {line}) is not a section Clew reads; its content was not imported. "
                f"The sections are {', '.join(SECTION_NAMES)}"
                + (f". Did you mean '{hint}'?" if hint else "."),
                file=file_name,
                section=key,
                line=line,
                suggestion=hint,
            )
        )


class JsonWriter(Writer):
    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        self._first_row = True

    def start(self) -> bytes:
        head = ",\n".join(
            f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
            for k, v in meta_items(self.meta)
        )
        return ("{\n" + head).encode()

    def start_section(self, section: Section) -> bytes:
        super().start_section(section)
        self._first_row = True
        return f',\n  "{section.name}": ['.encode()

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        assert self.section is not None
        out = []
        for row in rows:
            cells = {
                c.name: write_cell(c, row.get(c.name), Encoding.JSON) for c in self.section.columns
            }
            out.append(
                ("\n    " if self._first_row else ",\n    ") + json.dumps(cells, ensure_ascii=False)
            )
            self._first_row = False
        return "".join(out).encode()

    def end_section(self) -> bytes:
        return b"]" if self._first_row else b"\n  ]"

    def finish(self) -> Iterator[bytes]:
        yield b"\n}\n"
