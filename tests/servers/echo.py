"""Hostile servers on 127.0.0.1 that echo the credentials a client sent back in their error
text, in every encoding they travel in: the misconfigured gateway or rogue node of the
security review. Each runs in a thread for one test (`with echo_http() as port: ...`).

- `echo_http`: an HTTP gateway that answers 502 and quotes the `Authorization` header it got
  (a Basic header is base64 of `user:password`), decoded, upper-cased, reversed, URL-encoded.
- `echo_postgres`: speaks just enough of PostgreSQL's protocol to ask for a cleartext
  password, then fails the login with a message quoting it in the same encodings.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, quote_plus


def echoes(user: str, password: str) -> str:
    """The credentials in each encoding a careless server might print them."""
    pair = f"{user}:{password}"
    forms = [
        password,
        password.upper(),
        password.lower(),
        password[::-1],
        password[::-1].upper(),
        quote(password, safe=""),
        quote_plus(password),
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(pair.encode()).decode(),
        base64.b64encode(pair.encode()).decode().lower(),
        base64.urlsafe_b64encode(pair.encode()).decode(),
        # inside a longer base64 text, at an offset that is not a multiple of three
        base64.b64encode(f"header x-auth={pair};".encode()).decode(),
        pair,
    ]
    return "echo: " + " | ".join(forms)


# What a handler answers: status, JSON body, extra headers.
Answer = tuple[int, Any, dict[str, str]]


@contextmanager
def serve_json(answer: Callable[[str, Mapping[str, str]], Answer]) -> Iterator[int]:
    """A local HTTP server answering every GET and POST with `answer(path, headers)`; yields
    its port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body, headers = answer(self.path, self.headers)
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def echo_http() -> AbstractContextManager[int]:
    def answer(path: str, headers: Mapping[str, str]) -> Answer:
        header = headers.get("Authorization") or ""
        user, _, password = _basic(header)
        text = f"bad gateway for {header}; {echoes(user, password)}"
        return 502, {"error": {"type": "gateway", "reason": text}}, {}

    return serve_json(answer)


def _basic(header: str) -> tuple[str, str, str]:
    try:
        decoded = base64.b64decode(header.removeprefix("Basic ").strip()).decode()
    except ValueError:
        return "", "", ""
    return decoded.partition(":")


@contextmanager
def serve_tcp(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A local TCP server that runs `handle` on each connection, then closes it; yields its
    port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                try:
                    handle(conn)
                except (OSError, struct.error):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def echo_postgres() -> AbstractContextManager[int]:
    return serve_tcp(_postgres_session)


def _postgres_session(conn: socket.socket) -> None:
    conn.settimeout(5)
    length, code = struct.unpack("!ii", _read(conn, 8))
    if code == 80877103:  # SSLRequest: no TLS here
        conn.sendall(b"N")
        length, code = struct.unpack("!ii", _read(conn, 8))
    startup = _read(conn, length - 8).split(b"\0")
    params = dict(zip(startup[0::2], startup[1::2], strict=False))
    user = params.get(b"user", b"").decode()
    conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
    kind, length = struct.unpack("!ci", _read(conn, 5))
    password = _read(conn, length - 4).rstrip(b"\0").decode()
    message = f'password authentication failed for user "{user}"; {echoes(user, password)}'
    message_bytes = message.encode()
    fields = b"SFATAL\0VFATAL\0C28P01\0M" + message_bytes + b"\0\0"
    conn.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data
