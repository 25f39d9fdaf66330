"""YAML: the shape of the JSON encoding, read as events so that a file is never built whole."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from graph_api.interchange.cells import write_cell
from graph_api.interchange.codecs.common import (
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
)
from graph_api.interchange.codecs.json import json_meta
from graph_api.interchange.format import Encoding, Section, section_for
from graph_api.interchange.report import Place, Problem, ProblemCode


def read_yaml(
    path: Path, file_name: str, problem: ProblemSink, info: FileInfo
) -> Iterator[RawSection]:
    stream = text_stream(path)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(stream)
    events = _YamlEvents(loader, path)
    try:
        try:
            events.expect(yaml.StreamStartEvent)
            if events.check(yaml.StreamEndEvent):
                problem(
                    Problem(
                        ProblemCode.EMPTY_FILE, f"The file '{file_name}' is empty.", file=file_name
                    )
                )
                return
            events.expect(yaml.DocumentStartEvent)
            if not events.check(yaml.MappingStartEvent):
                line = events.line()
                raise _YamlError(
                    "the document must be a mapping such as 'tables:' followed by a list of rows",
                    line,
                )
            events.expect(yaml.MappingStartEvent)
            while not events.check(yaml.MappingEndEvent):
                key_line = events.line()
                key = events.build()
                section = section_for(str(key)) if isinstance(key, str) else None
                if section is None:
                    value = events.build()
                    json_meta(str(key), value, key_line, file_name, problem, info)
                    continue
                if not events.check(yaml.SequenceStartEvent):
                    value = events.build()
                    if value not in (None, ""):
                        raise _YamlError(
                            f"'{key}' must be a list of rows (lines starting with '- ')", key_line
                        )
                    continue
                place = Place(file_name, section.name, str(key), unit="Item")
                info.sections.append(section.name)
                items = _yaml_items(events, file_name, problem, place, section)
                yield RawSection(place, section, None, None, items, False)
        except (_YamlError, yaml.YAMLError) as exc:
            problem(_yaml_problem(path, file_name, exc))
        except UnicodeDecodeError:
            problem(
                Problem(
                    ProblemCode.WRONG_ENCODING,
                    f"'{file_name}' is not UTF-8 text; save it as UTF-8.",
                    file=file_name,
                )
            )
    finally:
        loader.dispose()
        stream.close()


_MAX_YAML_DEPTH = 50


_MAX_YAML_ITEM = 4 * 1024 * 1024


# What can open or close a flow collection, or hide a bracket from the count.
_FLOW_TOKENS = re.compile(r"""[\[\]{}"'#\n]""")


def _flow_nesting(path: Path, upto_line: int) -> int:
    """The deepest flow nesting (`[`, `{`) in the file's first `upto_line` lines, skipping
    quoted text and comments; a bracket inside a plain word (`a[1]`) does not open one."""
    deepest = depth = 0
    quote: str | None = None
    line = 1
    with text_stream(path) as stream:
        for chunk_line in stream:
            for match in _FLOW_TOKENS.finditer(chunk_line):
                char, at = match.group(), match.start()
                if char == "\n":
                    continue
                if quote is not None:
                    if char == quote and not (quote == '"' and _escaped(chunk_line, at)):
                        quote = None
                    continue
                before = chunk_line[:at].rstrip()[-1:]
                starts_token = before in ("", ":", "-", ",", "[", "{", "?")
                if char == "#" and (at == 0 or chunk_line[at - 1] in " \t"):
                    break
                if char in "\"'" and starts_token:
                    quote = char
                elif char in "[{" and (depth > 0 or starts_token):
                    depth += 1
                    deepest = max(deepest, depth)
                    if deepest > _MAX_YAML_DEPTH:
                        return deepest
                elif char in "]}" and depth > 0:
                    depth -= 1
            if line >= upto_line:
                break
            line += 1
    return deepest


def _escaped(text: str, at: int) -> bool:
    backslashes = len(text[:at]) - len(text[:at].rstrip("\\"))
    return backslashes % 2 == 1


class _YamlError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _YamlEvents:
    """Builds plain values from parser events one item at a time (the C parser exposes no
    composer, and composing the whole document would hold it all in memory)."""

    def __init__(self, loader: Any, path: Path) -> None:
        self._loader = loader
        self.path = path
        self._anchors: dict[str, Any] = {}
        # Where the item being built starts, to refuse one too large to hold.
        self.item_start = 0
        self.item_line: int | None = None

    def check(self, kind: type) -> bool:
        return bool(self._loader.check_event(kind))

    def line(self) -> int | None:
        event = self._loader.peek_event()
        mark = getattr(event, "start_mark", None)
        return mark.line + 1 if mark is not None else None

    def expect(self, kind: type) -> Any:
        if not self._loader.check_event(kind):
            raise _YamlError(f"unexpected {type(self._loader.peek_event()).__name__}", self.line())
        return self._loader.get_event()

    def index(self) -> int:
        return int(self._loader.peek_event().start_mark.index)

    def build(self, depth: int = 0) -> Any:
        event = self._loader.get_event()
        if event.start_mark.index - self.item_start > _MAX_YAML_ITEM:
            raise _YamlError(
                f"the item starting at line {self.item_line} is larger than "
                f"{_MAX_YAML_ITEM // 1024**2} MB, so it was not read",
                event.start_mark.line + 1,
            )
        if depth > _MAX_YAML_DEPTH:
            # The format nests three levels; this bounds the recursion below.
            raise _YamlError(
                f"values nested more than {_MAX_YAML_DEPTH} levels deep; the format needs "
                "only sections holding rows of plain values",
                event.start_mark.line + 1,
            )
        if isinstance(event, yaml.AliasEvent):
            # The format never needs them, and nested aliases expand exponentially.
            raise _YamlError(
                f"aliases (*{event.anchor}) are not supported in import files; write the "
                "values out in full",
                event.start_mark.line + 1,
            )
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event)
        elif isinstance(event, yaml.SequenceStartEvent):
            value = []
            while not self._loader.check_event(yaml.SequenceEndEvent):
                value.append(self.build(depth + 1))
            self._loader.get_event()
        elif isinstance(event, yaml.MappingStartEvent):
            pairs = []
            while not self._loader.check_event(yaml.MappingEndEvent):
                key = self.build(depth + 1)
                pairs.append((key if isinstance(key, str) else str(key), self.build(depth + 1)))
            self._loader.get_event()
            value = json_object(pairs)
        else:
            raise _YamlError(f"unexpected {type(event).__name__}", event.start_mark.line + 1)
        anchor = getattr(event, "anchor", None)
        if anchor:
            self._anchors[anchor] = value
        return value

    def _scalar(self, event: Any) -> Any:
        loader = self._loader
        tag = event.tag
        if tag is None or tag == "!":
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        construct = loader.yaml_constructors.get(tag) or loader.yaml_constructors.get(None)
        # Called directly, not through construct_object, which would cache every node.
        return construct(loader, node)


def _yaml_items(
    events: _YamlEvents, file_name: str, problem: ProblemSink, place: Place, section: Section
) -> Iterator[RawRow]:
    try:
        events.expect(yaml.SequenceStartEvent)
        number = 0
        while not events.check(yaml.SequenceEndEvent):
            number += 1
            line = events.line()
            events.item_start, events.item_line = events.index(), line
            yield checked_item(RawRow(number, events.build(), line), place, section, problem)
        events.expect(yaml.SequenceEndEvent)
    except (_YamlError, yaml.YAMLError) as exc:
        problem(_yaml_problem(events.path, file_name, exc))
        raise StopFile() from None


def _yaml_problem(path: Path, file_name: str, exc: Exception) -> Problem:
    if isinstance(exc, _YamlError):
        line, reason = exc.line, exc.message
    else:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        # The library may stop deep nesting before Clew's own check does, in its own words
        # (which change between releases): Clew measures the nesting itself and says so.
        if line is not None and _flow_nesting(path, line) > _MAX_YAML_DEPTH:
            reason = (
                f"values nested more than {_MAX_YAML_DEPTH} levels deep; the format needs "
                "only sections holding rows of plain values"
            )
    return Problem(
        ProblemCode.MALFORMED_YAML,
        f"The YAML in '{file_name}' is malformed"
        + (f" at line {line}" if line else "")
        + f": {reason}. Check the indentation, dashes and quotes there.",
        file=file_name,
        line=line,
        value=str(reason),
    )


class YamlWriter(Writer):
    _dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def __init__(self, meta: dict[str, Any]) -> None:
        super().__init__(meta)
        self._empty = True

    def _dump(self, value: Any) -> str:
        return yaml.dump(
            value,
            Dumper=self._dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=10_000,
        )

    def start(self) -> bytes:
        return self._dump(dict(meta_items(self.meta))).encode()

    def start_section(self, section: Section) -> bytes:
        super().start_section(section)
        self._empty = True
        return f"{section.name}:".encode()

    def rows(self, rows: list[dict[str, Any]]) -> bytes:
        assert self.section is not None
        if not rows:
            return b""
        items = [
            {c.name: write_cell(c, row.get(c.name), Encoding.YAML) for c in self.section.columns}
            for row in rows
        ]
        text = ("\n" if self._empty else "") + self._dump(items)
        self._empty = False
        return text.encode()

    def end_section(self) -> bytes:
        return b" []\n" if self._empty else b""
