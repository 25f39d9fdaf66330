"""The CA certificate a source's settings hold (PEM text), as each driver wants it: an
SSLContext, or a file (libpq, pymongo and the Elasticsearch client read only files)."""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
import weakref
from collections.abc import Iterator

from graph_api.connectors.base import TlsConfig


def client_context(tls: TlsConfig, *, strict: bool = True) -> ssl.SSLContext:
    """A context that checks the server against the configured CA (or the system's)."""
    context = ssl.create_default_context(cadata=tls.ca_certificate or None)
    context.check_hostname = tls.verify_hostname
    if not strict:
        # Certificates some servers generate for themselves fail Python 3.13's strict checks.
        context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    return context


class CaFile:
    """The CA written to a private temporary file on first use, removed by `close` (or when
    its owner is collected without closing, so no file is left behind)."""

    def __init__(self, owner: object, prefix: str) -> None:
        self._owner = weakref.ref(owner)
        self._prefix = prefix
        self._path: str | None = None

    def path(self, pem: str) -> str:
        if self._path is None:
            self._path = _write(pem, self._prefix)
            owner = self._owner()
            if owner is not None:
                weakref.finalize(owner, remove, self._path)
        return self._path

    @property
    def current(self) -> str | None:
        """The file's path while it exists."""
        return self._path

    def close(self) -> None:
        if self._path is not None:
            remove(self._path)
            self._path = None


@contextlib.contextmanager
def ca_file(pem: str | None, prefix: str) -> Iterator[str | None]:
    """The CA as a file for as long as the block runs (libpq reads it only while connecting)."""
    if not pem:
        yield None
        return
    path = _write(pem, prefix)
    try:
        yield path
    finally:
        remove(path)


def _write(pem: str, prefix: str) -> str:
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".pem")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(pem)
    return path


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
