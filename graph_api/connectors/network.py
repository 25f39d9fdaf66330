"""How a failed connection reads, for every connector: the socket error in an exception chain,
or the words drivers that wrap socket and ssl errors in plain text use for them."""

from __future__ import annotations

import errno
import socket
import ssl

from graph_api.connectors.base import FailureReason

# What resolvers and drivers write for a name that does not resolve.
DNS_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "failed to resolve",
    "[errno -2]",
    "[errno -3]",
    "[errno -5]",
    "getaddrinfo failed",
    "dns query name does not exist",
    "dns operation timed out",
)
REFUSED_MARKERS = ("connection refused", "[errno 111]", "[errno 61]")
# Specific phrases only: a host name may well contain "tls" or "ssl".
TLS_MARKERS = (
    "[ssl",
    "ssl:",
    "sslerror",
    "ssl handshake failed",
    "certificate verify failed",
    "wrong version number",
    "hostname mismatch",
    "tlsv1 alert",
)


def socket_reason(exc: BaseException) -> FailureReason | None:
    """What a socket-level cause anywhere in the exception chain says went wrong."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return FailureReason.HOST_NOT_FOUND
        if isinstance(current, ConnectionRefusedError):
            return FailureReason.CONNECTION_REFUSED
        if isinstance(current, TimeoutError):  # socket.timeout is TimeoutError
            return FailureReason.TIMEOUT
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return FailureReason.TLS_ERROR
        if isinstance(current, OSError) and current.errno in (
            errno.EHOSTUNREACH,
            errno.ENETUNREACH,
        ):
            return FailureReason.CONNECTION_REFUSED
        # PyMySQL keeps the socket error of a failed connect on the exception.
        current = (
            getattr(current, "original_exception", None) or current.__cause__ or current.__context__
        )
    return None


def text_reason(text: str) -> FailureReason | None:
    """The reason a driver's wrapped network error names in its text, if it names one."""
    lowered = text.lower()
    if any(marker in lowered for marker in DNS_MARKERS):
        return FailureReason.HOST_NOT_FOUND
    if any(marker in lowered for marker in REFUSED_MARKERS):
        return FailureReason.CONNECTION_REFUSED
    if any(marker in lowered for marker in TLS_MARKERS):
        return FailureReason.TLS_ERROR
    return None
