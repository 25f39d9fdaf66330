"""A script split into statements, each with its position, by sqlglot's tokenizer (so a
semicolon inside a string or a comment splits nothing). A procedural block (PL/SQL's DECLARE
or BEGIN ... END, CREATE PROCEDURE/FUNCTION/PACKAGE/TRIGGER, PostgreSQL's DO) is kept whole,
up to its END; or the SQL*Plus "/" line after it, so that it is reported as one statement the
parser does not analyse, not cut into fragments."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot.tokens import Token, TokenType

from graph_api.sql_lineage.model import Dialect, Position

_ROUTINE = re.compile(
    r"^\s*CREATE\s+(OR\s+REPLACE\s+)?(EDITIONABLE\s+|NONEDITIONABLE\s+)?"
    r"(PROCEDURE|FUNCTION|PACKAGE|TRIGGER|TYPE\s+BODY)\b",
    re.IGNORECASE,
)
_BLOCK = re.compile(r"^\s*(DECLARE|BEGIN(?!\s*(TRANSACTION|WORK|TRAN)?\s*;)|DO\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Piece:
    text: str
    position: Position
    block: bool  # a procedural block, not one SQL statement


def _position(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Position(line=line, column=column, offset=offset)


def split(text: str, dialect: Dialect) -> list[Piece]:
    """The statements of a script in order (tokenized once); raises TokenError (its message
    says where) when the text cannot be tokenized at all."""
    tokens = list(sqlglot.tokenize(text, read=dialect.value or None))
    pieces: list[Piece] = []
    i = 0
    while i < len(tokens):
        first = tokens[i]
        if first.token_type in (TokenType.SEMICOLON, TokenType.SLASH):
            i += 1
            continue
        rest = text[first.start :]
        block = bool(_ROUTINE.match(rest) or _BLOCK.match(rest))
        j = _block_end(tokens, i, text) if block else _statement_end(tokens, i)
        last = tokens[j - 1]
        body = text[first.start : last.end + 1].strip()
        if not block:
            body = body.rstrip(";").rstrip()
        pieces.append(Piece(body, _position(text, first.start), block))
        i = j
    return pieces


def _statement_end(tokens: list[Token], i: int) -> int:
    """The index after the statement's semicolon (or the last token)."""
    for j in range(i, len(tokens)):
        if tokens[j].token_type is TokenType.SEMICOLON:
            return j + 1
    return len(tokens)


def _alone_on_line(text: str, token: Token) -> bool:
    start = text.rfind("\n", 0, token.start) + 1
    end = text.find("\n", token.end + 1)
    return text[start : end if end >= 0 else len(text)].strip() == "/"


def _block_end(tokens: list[Token], i: int, text: str) -> int:
    """The index after a procedural block: after a "/" alone on its line (SQL*Plus), else
    after the semicolon that follows the END closing its outermost BEGIN, else the end."""
    depth = 0
    opened = False
    for j in range(i, len(tokens)):
        token = tokens[j]
        if token.token_type is TokenType.SLASH and _alone_on_line(text, token):
            return j + 1
        if token.token_type is TokenType.STRING:
            continue
        word = token.text.upper()
        after_end = j > i and tokens[j - 1].text.upper() == "END"
        if word in ("BEGIN", "CASE", "LOOP", "IF") and not after_end:
            depth += 1
            opened = opened or word == "BEGIN"
        elif word == "END":
            depth -= 1
        elif opened and depth <= 0 and token.token_type is TokenType.SEMICOLON:
            if not (j + 1 < len(tokens) and tokens[j + 1].token_type is TokenType.SLASH):
                return j + 1
    return len(tokens)
