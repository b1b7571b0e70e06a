"""How every number of a report is written: one module, used by the HTML and PDF report and the CLI summary.

Returns are shown in per cent (the unit stated once, in the column header or after the number in a sentence),
counts as integers, p-values with three decimals and ``< 0.001`` below that. A missing value is an en dash.
A minus sign is the typographic minus (U+2212) so that columns align and no hyphen is read as a dash.

>>> pct(-0.07254)
'−7.25'
>>> pct_unit(0.0134)
'+1.34 %'
>>> pvalue(0.0004), pvalue(0.0312), pvalue(float("nan"))
('< 0.001', '0.031', '–')
>>> integer(30.0), window("m1_1"), interval(-0.1042, -0.0408)
('30', '[−1, 1]', '[−10.42, −4.08]')
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "MISSING",
    "PCT_DIGITS",
    "P_DIGITS",
    "is_missing",
    "minus",
    "pct",
    "pct_unit",
    "pvalue",
    "p_equals",
    "integer",
    "number",
    "interval",
    "window",
    "window_pair",
    "share",
]

MISSING = "–"
#: decimals of a return in per cent (−7.25)
PCT_DIGITS = 2
#: decimals of a p-value (0.031); below 10**-P_DIGITS it is written "< 0.001"
P_DIGITS = 3


def is_missing(x: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and non-numbers."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def minus(text: str) -> str:
    """Hyphen-minus → minus sign (U+2212)."""
    return text.replace("-", "−")


def pct(x: Any, digits: int = PCT_DIGITS, *, sign: bool = True) -> str:
    """A return (a fraction) in per cent without the unit: ``−7.25``; ``+`` shown unless ``sign=False``."""
    if is_missing(x):
        return MISSING
    v = float(x) * 100
    if round(v, digits) == 0:
        v = 0.0
    return minus(format(v, f"{'+' if sign else ''}.{digits}f"))


def pct_unit(x: Any, digits: int = PCT_DIGITS, *, sign: bool = True) -> str:
    """A return in per cent with its unit, for running text: ``−7.25 %``."""
    text = pct(x, digits, sign=sign)
    return text if text == MISSING else f"{text} %"


def share(x: Any, digits: int = 0) -> str:
    """A share (0-1) in per cent without sign or unit: ``42``."""
    return pct(x, digits, sign=False)


def pvalue(p: Any) -> str:
    """``< 0.001`` or the p-value with three decimals."""
    if is_missing(p):
        return MISSING
    p = float(p)
    return f"< {10**-P_DIGITS:.{P_DIGITS}f}" if p < 10**-P_DIGITS else f"{p:.{P_DIGITS}f}"


def p_equals(p: Any, name: str = "p") -> str:
    """``p = 0.031`` or ``p < 0.001`` for running text."""
    text = pvalue(p)
    return f"{name} {text}" if text.startswith("<") else f"{name} = {text}"


def integer(x: Any) -> str:
    """A count: ``30``, never ``30.0000``."""
    if is_missing(x):
        return MISSING
    return minus(str(round(float(x))))


def number(x: Any, digits: int = 2) -> str:
    """A statistic or coefficient that is not a return: ``−1.83``."""
    if is_missing(x):
        return MISSING
    return minus(f"{float(x):.{digits}f}")


def interval(low: Any, high: Any, digits: int = PCT_DIGITS) -> str:
    """An interval of returns in per cent: ``[−10.42, −4.08]``."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"[{pct(low, digits, sign=False)}, {pct(high, digits, sign=False)}]"


def window(label: Any) -> str:
    """A window label ``A_B`` (``m`` for minus) as ``[A, B]``; anything else as text."""
    text = str(label)
    a, sep, b = text.partition("_")
    if not sep:
        return text
    a, b = a.replace("m", "-"), b.replace("m", "-")
    return minus(f"[{a}, {b}]")


def window_pair(w: Any) -> str:
    """A ``(start, end)`` pair as ``[start, end]``."""
    if w is None:
        return MISSING
    a, b = w
    return minus(f"[{int(a)}, {int(b)}]")
