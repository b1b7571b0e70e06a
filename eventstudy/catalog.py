"""The library's vocabulary as data, with no code behind it: outcome codes and their meanings.

Renderers read labels and meanings here (or from the results), never from the modules that compute.
"""

from __future__ import annotations

__all__ = ["OUTCOMES"]

#: outcome code of a firm-event → what it means, in order of precedence (METHODS §2)
OUTCOMES: dict[str, str] = {
    "ok": "usable for every CAR window",
    "no_data": "no prices for the security or its benchmark around the event",
    "pre_listing": "day 0 is not after the first valid price (not yet listed, or a shell before it)",
    "short_estimation": "fewer valid estimation-window returns than min_estimation",
    "thin_trading": "no price (no trade) on more than the allowed share of estimation days, or no residual variation",
    "missing_event_window": "a return is missing inside at least one CAR window (other windows are still used)",
}
