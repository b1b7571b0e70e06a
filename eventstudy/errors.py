"""The error family of the toolkit.

Every error a user can cause is an :class:`EventStudyError` (a ``ValueError``). Its message names where the
problem is (file, row, column or parameter), the offending value, and how to fix it, on one line, so that the
command line can print it as it is.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EventStudyError",
    "ConfigError",
    "EventsError",
    "UniverseError",
    "PriceDataError",
    "CalendarError",
    "CacheError",
    "SourceError",
    "DataWarning",
    "located",
]


def located(
    where: str,
    problem: str,
    *,
    value: Any = None,
    fix: str | None = None,
) -> str:
    """Format a one-line message: ``WHERE: PROBLEM (got VALUE); fix: FIX``.

    Parameters
    ----------
    where
        The location: ``events.csv:3:announced_at``, ``study.toml:estimation_window``, a ticker, ...
    problem
        What is wrong, in a few words.
    value
        The offending value, shown with ``repr``; omitted when None.
    fix
        How to fix it.
    """
    msg = f"{where}: {problem}"
    if value is not None:
        text = repr(value)
        if len(text) > 120:
            text = text[:117] + "..."
        msg += f" (got {text})"
    if fix:
        msg += f"; fix: {fix}"
    return msg.replace("\n", " ")


class EventStudyError(ValueError):
    """Base class of every error caused by the study's inputs or settings."""


class ConfigError(EventStudyError):
    """The study file or a keyword argument is invalid."""


class EventsError(EventStudyError):
    """The events table is invalid."""


class UniverseError(EventStudyError):
    """The universe (securities) table is invalid."""


class PriceDataError(EventStudyError):
    """A price file or price frame is invalid or unusable."""


class CalendarError(EventStudyError):
    """An exchange is unknown or a date lies outside its calendar."""


class CacheError(EventStudyError):
    """The price cache cannot be opened, is locked, or has an unknown schema."""


class SourceError(EventStudyError):
    """A price source failed (network, throttling, unexpected shape)."""


class DataWarning(UserWarning):
    """Data that is usable but suspicious, or a firm-event that cannot be used for a reason outside the inputs'
    syntax: a probable unadjusted split, an event outside the span of the prices. The message is one line naming
    the ticker or event, the date and what to check; the run's ``data_notes.csv`` records it too."""
