"""eventstudy: how stock markets priced policy news.

Timezone-aware day 0 per exchange, a vectorised engine with exact forecast-error variances, the battery of
event-study tests including those that stay valid when every stock shares the event date, outcome codes for every
firm-event it could not use, and self-contained reports.

>>> from eventstudy import EventStudy                                   # doctest: +SKIP
>>> res = EventStudy("events.csv", "universe.csv", "prices/").fit()     # doctest: +SKIP
>>> res.summary()                                                       # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
DISTRIBUTION = "policy-eventstudy"
"""The name the package is installed under (``pip install policy-eventstudy``); the import name is ``eventstudy``."""

__all__ = ["EventStudy", "EventStudyResults", "EventStudyError", "TestResult", "__version__"]

if TYPE_CHECKING:
    from .errors import EventStudyError
    from .inference import TestResult
    from .results import EventStudyResults
    from .study import EventStudy

_LAZY = {
    "EventStudy": ("study", "EventStudy"),
    "EventStudyResults": ("results", "EventStudyResults"),
    "EventStudyError": ("errors", "EventStudyError"),
    "TestResult": ("inference", "TestResult"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")
