"""The reproducibility record a run carries in its settings: package versions, Python, the commit, the data.

>>> rec = reproducibility_record()
>>> sorted(rec) == ["commit", "packages", "python"]
True
"""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["RECORDED_PACKAGES", "reproducibility_record"]

RECORDED_PACKAGES: tuple[str, ...] = (
    "policy-eventstudy",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "linearmodels",
    "exchange_calendars",
    "duckdb",
    "matplotlib",
    "jinja2",
    "yfinance",
    "weasyprint",
)
"""The distributions whose versions the record lists (those installed)."""


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


@lru_cache(maxsize=8)
def _commit(where: Path) -> str:
    """The git commit of the checkout holding ``where`` (with ``+changes`` when files differ), or ``""``."""
    try:
        head = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+changes" if dirty else "")


def reproducibility_record(where: str | Path | None = None) -> dict[str, Any]:
    """``packages`` (name → version), ``python`` and ``commit`` (of the git checkout holding ``where``, default the
    package's own folder; empty outside a checkout)."""
    where = Path(where) if where is not None else Path(__file__).resolve().parent
    return {
        "packages": dict(_versions()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "commit": _commit(where if where.is_dir() else where.parent),
    }
