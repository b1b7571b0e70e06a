"""Execution backends for :meth:`eventstudy.EventStudy.fit`: ``"numpy"`` (in memory, the default) and ``"dask"``
(:mod:`eventstudy.backends.dask`, chunks of firm-events on dask.distributed workers)."""

from __future__ import annotations

__all__ = ["BACKENDS"]

#: The names ``EventStudy.fit(backend=...)`` accepts.
BACKENDS: tuple[str, ...] = ("numpy", "dask")
