"""A server that echoes credentials back must not get them into what Clew keeps or shows: every
connector scrubs the secret in every encoding it travels in (as given, any letter case,
reversed, URL-encoded, base64 of it and of `user:secret`, inside longer base64 text), and its
messages are Clew's own words, the server's text kept apart as `detail`.

The attacks are replayed against tiny hostile servers on 127.0.0.1 (tests/servers/echo.py).
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import quote

import pytest

from graph_api.connectors import base
from graph_api.connectors.base import ConnectionConfig, FailureReason
from graph_api.connectors.registry import connector_class
from graph_api.models import SourceType
from tests.servers.echo import echo_http, echo_postgres, echoes

USER = "clew_reader"
SECRET = "S3cr3t/Pa55+w0rd!x"


def leaks(text: str, *, user: str = USER, secret: str = SECRET) -> list[str]:
    """Every way `secret` can still be read out of `text`: one of the forms the hostile
    servers echo (in any letter case), or base64 that decodes to it at any alignment."""
    lowered = text.lower()
    forms = echoes(user, secret).removeprefix("echo: ").split(" | ")[:-1]
    found = [form for form in forms if form.lower() in lowered]
    for token in re.findall(r"[A-Za-z0-9+/_-]{6,}={0,2}", text):
        for start in range(4):
            chunk = token[start:].rstrip("=").replace("-", "+").replace("_", "/")
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                decoded = base64.b64decode(chunk, validate=True).decode("latin-1")
            except (binascii.Error, ValueError):
                continue
            # Half a secret is a leak too.
            if secret[: len(secret) // 2].lower() in decoded.lower():
                found.append(token)
    return found


def everything(report: base.TestReport) -> str:
    return " ".join(str(part) for part in (report.message, report.hint, report.detail))


def test_the_leak_check_itself_finds_every_echoed_form() -> None:
    forms = echoes(USER, SECRET).removeprefix("echo: ").split(" | ")

    assert all(leaks(form) for form in forms[:-1]), forms


@pytest.mark.parametrize("source_type", list(SourceType), ids=lambda t: t.value)
def test_every_connector_scrubs_every_encoding_of_its_secrets(source_type: SourceType) -> None:
    config = ConnectionConfig(type=source_type, host="db", username=USER, password=SECRET)
    connector = connector_class(source_type)(config)

    scrubbed = connector.scrub(echoes(USER, SECRET))

    assert leaks(scrubbed) == [], scrubbed
    assert "******" in scrubbed
    assert f"{USER}" in scrubbed  # the user name is no secret


@pytest.mark.parametrize("source_type", list(SourceType), ids=lambda t: t.value)
def test_a_password_inside_a_uri_is_scrubbed_in_every_encoding(source_type: SourceType) -> None:
    uri = f"scheme://{USER}:{quote(SECRET, safe='')}@db:1/x"
    connector = connector_class(source_type)(ConnectionConfig(type=source_type, uri=uri))

    assert leaks(connector.scrub(echoes(USER, SECRET))) == []


def test_a_postgres_server_that_echoes_the_cleartext_password_leaks_nothing() -> None:
    # libpq sends the password in clear when the server asks for it, and prints the
    # server's error message: a rogue server or proxy can quote the password back.
    with echo_postgres() as port:
        connector = connector_class(SourceType.POSTGRESQL)(
            ConnectionConfig(
                type=SourceType.POSTGRESQL,
                host="127.0.0.1",
                port=port,
                database="shop",
                username=USER,
                password=SECRET,
                connect_timeout=3.0,
            )
        )
        report = connector.test()

    assert report.reason is FailureReason.AUTHENTICATION_FAILED
    assert "password authentication failed" in (report.detail or ""), report.detail
    assert leaks(everything(report)) == [], everything(report)
    assert report.message == (
        f"PostgreSQL at 127.0.0.1:{port}/shop: the server refused the credentials of user '{USER}'."
    )


def test_an_http_gateway_that_echoes_the_basic_header_leaks_nothing() -> None:
    with echo_http() as port:
        connector = connector_class(SourceType.ELASTICSEARCH)(
            ConnectionConfig(
                type=SourceType.ELASTICSEARCH,
                host="127.0.0.1",
                port=port,
                username=USER,
                password=SECRET,
                connect_timeout=3.0,
            )
        )
        report = connector.test()
        connector.close()

    assert report.reason is FailureReason.UNKNOWN
    assert "bad gateway" in (report.detail or ""), report.detail
    assert leaks(everything(report)) == [], everything(report)
    # Clew's message names what answered and how, never what it said.
    assert report.message == f"127.0.0.1:{port} answered with HTTP status 502."


def test_server_text_is_one_short_printable_line() -> None:
    config = ConnectionConfig(type=SourceType.POSTGRESQL, host="db", username=USER)
    connector = connector_class(SourceType.POSTGRESQL)(config)

    error = connector.error(FailureReason.UNKNOWN, "m", detail="\x00\x1b[31mred\r\n" + "x" * 500)

    assert error.detail is not None
    assert error.detail.startswith("[31mred x")
    assert error.detail.isprintable() and len(error.detail) == 300
