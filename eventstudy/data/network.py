"""What went wrong when a download failed, and a quiet download.

* :func:`classify` sorts a failure into ``"network"`` (DNS, connection or TLS: the machine cannot reach the host, so
  retrying is pointless), ``"throttle"`` (HTTP 429, a rate limit, a server error or a read timeout: worth retrying
  with backoff) or ``"other"`` (about the request itself, e.g. an unknown ticker);
* :func:`probe` checks in a few seconds that a host answers on HTTPS (name, connection and TLS handshake);
* :func:`quietly` runs a function while capturing what libraries log or print, so nothing reaches the terminal raw.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import SourceError

__all__ = ["NoNetworkError", "NO_NETWORK", "Captured", "classify", "probe", "quietly"]

NO_NETWORK = "no network: Yahoo is unreachable; use the shipped snapshot, --prices-dir DIR, or --offline"
"""The one line a fetch ends with when the machine cannot reach Yahoo."""

Kind = Literal["network", "throttle", "other"]

_THROTTLE = re.compile(
    r"too many requests|rate.?limit|\b429\b|\b50[0234]\b|bad gateway|service unavailable|gateway time-?out|"
    r"internal server error|read timed out|operation timed out",
    re.I,
)
_NETWORK = re.compile(
    r"could not resolve|name or service not known|temporary failure in name resolution|nodename nor servname|"
    r"getaddrinfo|name ?resolution|failed to (?:establish a new )?connect|connection (?:refused|reset|aborted)|"
    r"network is unreachable|no route to host|connect(?:ion)? time(?:d)? ?out|\bssl\b|\btls\b|certificate|"
    r"curl: \((?:5|6|7|35|51|58|60)\)",
    re.I,
)
_NETWORK_TYPES = (socket.gaierror, ssl.SSLError, ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError)


class NoNetworkError(SourceError):
    """The source's host cannot be reached (DNS, connection or TLS failure): the fetch stops at the first one."""


def classify(failure: BaseException | str) -> Kind:
    """``"network"``, ``"throttle"`` or ``"other"`` for an exception or a library's error message.

    >>> classify("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com")
    'network'
    >>> classify("Too Many Requests. Rate limited. Try after a while.")
    'throttle'
    >>> classify("possibly delisted; no price data found")
    'other'
    """
    text = failure if isinstance(failure, str) else f"{type(failure).__name__}: {failure}"
    if isinstance(failure, BaseException):
        if "ratelimit" in type(failure).__name__.lower():
            return "throttle"
        if isinstance(failure, _NETWORK_TYPES):
            return "network"
    if _THROTTLE.search(text):
        return "throttle"
    if _NETWORK.search(text):
        return "network"
    if isinstance(failure, ConnectionError | TimeoutError):
        return "network" if isinstance(failure, ConnectionError) else "throttle"
    return "other"


def probe(host: str = "query2.finance.yahoo.com", port: int = 443, *, timeout: float = 3.0) -> None:
    """Raise :class:`NoNetworkError` unless ``host`` resolves, accepts a connection and completes a TLS handshake
    within about ``timeout`` seconds (the name lookup included). Skipped behind an HTTPS proxy, which the check
    would bypass."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return
    outcome: dict[str, BaseException] = {}

    def attempt() -> None:
        try:
            with (
                socket.create_connection((host, port), timeout=timeout) as sock,
                ssl.create_default_context().wrap_socket(sock, server_hostname=host),
            ):
                pass
        except (OSError, ValueError) as exc:  # gaierror, refused, timeouts and SSLError are OSErrors
            outcome["error"] = exc

    worker = threading.Thread(target=attempt, name="network-probe", daemon=True)
    worker.start()
    worker.join(timeout + 1.0)
    if worker.is_alive():
        raise NoNetworkError(f"{NO_NETWORK} (no answer from {host} within {timeout + 1.0:.0f} s)")
    if "error" in outcome:
        exc = outcome["error"]
        raise NoNetworkError(f"{NO_NETWORK} ({host}: {type(exc).__name__}: {' '.join(str(exc).split())})")


@dataclass
class Captured:
    """What a library said while :func:`quietly` ran: log records (level, logger, message) and printed text."""

    records: list[tuple[int, str, str]] = field(default_factory=list)
    printed: str = ""

    def messages(self, min_level: int = logging.WARNING) -> list[str]:
        """The messages at ``min_level`` or above, then any printed lines."""
        out = [m for level, _, m in self.records if level >= min_level]
        return out + [line for line in self.printed.splitlines() if line.strip()]


class _Collect(logging.Handler):
    def __init__(self, into: Captured) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a record that cannot be formatted is dropped, never printed
            self.into.records.append((record.levelno, record.name, record.getMessage()))


@contextlib.contextmanager
def quietly(loggers: Sequence[str] = ("yfinance", "urllib3", "curl_cffi", "peewee", "requests")) -> Iterator[Captured]:
    """Capture the named loggers (not passed on to the root logger) and anything printed to stdout/stderr."""
    captured = Captured()
    handler = _Collect(captured)
    saved: list[tuple[logging.Logger, bool, int]] = []
    for name in loggers:
        lg = logging.getLogger(name)
        saved.append((lg, lg.propagate, lg.level))
        lg.addHandler(handler)
        lg.propagate = False
        if lg.level == logging.NOTSET or lg.level > logging.WARNING:
            lg.setLevel(logging.WARNING)
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield captured
    finally:
        captured.printed = buffer.getvalue()
        for lg, propagate, level in saved:
            lg.removeHandler(handler)
            lg.propagate = propagate
            lg.setLevel(level)


_TICKER_LIST = re.compile(r"^\s*\[([^\]]*)\]\s*:\s*(.+)$", re.S)


def ticker_errors(messages: Sequence[str]) -> dict[str, str]:
    """yfinance's per-ticker error lines (``['MP', 'SPY']: <reason>``) as ticker → one-line reason."""
    out: dict[str, str] = {}
    for message in messages:
        m = _TICKER_LIST.match(message)
        if not m:
            continue
        reason = " ".join(m.group(2).split())
        for ticker in re.findall(r"'([^']+)'", m.group(1)):
            out.setdefault(ticker, reason)
    return out


def first_network_failure(failures: Sequence[Any]) -> Any | None:
    """The first of ``failures`` that :func:`classify` calls a network failure, or None."""
    return next((f for f in failures if classify(f) == "network"), None)


Probe = Callable[[], None]
