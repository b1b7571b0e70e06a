"""Price data: the only part of eventstudy that reads or downloads prices.

* :mod:`.sources`: :class:`YahooSource`, :class:`FileSource`, :class:`FrameSource`, all returning a
  :class:`FetchResult` with the canonical price frame;
* :mod:`.snapshot`: :class:`SnapshotSource`, a checksummed Parquet snapshot read in place;
* :mod:`.cache`: :class:`PriceCache` (an embedded DuckDB file) and :func:`load_prices`;
* :mod:`.returns`: :func:`to_returns` on an exchange's sessions.
"""

from __future__ import annotations

from .cache import SCHEMA_VERSION, PriceCache, load_prices
from .returns import NOTE_REASONS, RETURN_KINDS, ReturnsFrame, to_returns
from .snapshot import SnapshotSource, write_snapshot
from .sources import (
    COLUMNS,
    PRICE_COLUMNS,
    SOURCES,
    YIELD_TICKERS,
    FetchResult,
    FileSource,
    FrameSource,
    PriceSource,
    YahooSource,
    empty_prices,
    get_source,
    read_price_file,
)

__all__ = [
    "COLUMNS",
    "PRICE_COLUMNS",
    "SOURCES",
    "YIELD_TICKERS",
    "FetchResult",
    "FileSource",
    "FrameSource",
    "PriceSource",
    "YahooSource",
    "empty_prices",
    "get_source",
    "read_price_file",
    "SnapshotSource",
    "write_snapshot",
    "SCHEMA_VERSION",
    "PriceCache",
    "load_prices",
    "NOTE_REASONS",
    "RETURN_KINDS",
    "ReturnsFrame",
    "to_returns",
]
