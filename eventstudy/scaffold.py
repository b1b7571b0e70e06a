"""``eventstudy init``: a new study's files, as commented templates that validate as written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .errors import ConfigError

__all__ = ["STUDY_TEMPLATE", "write_scaffold"]

STUDY_TEMPLATE = """\
# A study file: what to study and how. Paths are relative to this file; unknown keys are rejected with the
# nearest valid key. Check it with `eventstudy validate`, run it with `eventstudy run`.

[study]
name = "my_study"                      # the output folder: reports/<name>/
title = "My event study"
events = "events.csv"                  # one row per announcement (see the header of events.csv)
universe = "universe.csv"              # one row per security, benchmarks included
groups = ["treated"]                   # the groups of universe.csv to study (benchmarks are never studied)
group_by = ["group"]                   # add "segment" for results per segment too
model = "market"                       # market, constant_mean, market_adjusted, factor, world, scholes_williams
estimation_window = [-250, -11]        # trading days relative to day 0, inclusive
event_window = [-10, 10]
car_windows = [[0, 0], [0, 1], [-1, 1], [-2, 2], [0, 5], [-5, 5], [-10, 10]]
min_estimation = 120                   # fewer valid estimation returns: outcome short_estimation
thin_trading_share = 0.2               # more zero returns than this share: outcome thin_trading
return_kind = "simple"                 # or "log"
clean_estimation = false               # true: drop other events' windows from each estimation window
# headline_event = "example_event"     # the event the summary leads with
# tests = ["csect_t", "bmp_t", "kp_bmp_t", "patell_z", "sign_z", "grank_t"]   # default: the whole battery

[data]
# Where prices come from:
#   "yahoo"    Yahoo Finance through the cache below (needs the network and `pip install "<package>[yahoo]"`);
#              `eventstudy fetch` fills the cache, `eventstudy run --offline` then reads only the cache;
#   "snapshot" a checksummed Parquet snapshot read in place: snapshot = "data/prices.parquet";
#   or a folder of <TICKER>.csv files: `eventstudy run --prices-dir DIR` (any source).
source = "yahoo"
cache = ".eventstudy/cache.duckdb"
"""

_EVENT_EXAMPLE = {
    "event_id": "example_event",
    "title": "Example announcement",
    "description": "What was announced, by whom; replace this row with your events",
    "announcer": "Example agency",
    "category": "policy",
    "direction": "escalation",
    "announced_at": "2025-04-02T16:15:00-04:00",
    "time_precision": "exact",
    "timezone": "America/New_York",
    "headline": "true",
    "confidence": "high",
    "source_url": "https://example.org/announcement",
}

_UNIVERSE_ROWS = [
    {
        "ticker": "AAPL",
        "name": "Apple",
        "group": "treated",
        "segment": "treated",
        "exchange": "XNYS",
        "currency": "USD",
        "benchmark": "SPY",
        "first_valid_date": "",
        "notes": "replace with your securities; tickers as Yahoo spells them",
    },
    {
        "ticker": "SPY",
        "name": "SPDR S&P 500 ETF",
        "group": "benchmark",
        "segment": "benchmark",
        "exchange": "XNYS",
        "currency": "USD",
        "benchmark": "",
        "first_valid_date": "",
        "notes": "the local index proxy of the XNYS securities",
    },
]

_README = """\
# {name}

Files of this study (made by `eventstudy init`):

- `study.toml`: the settings, commented.
- `events.csv`: one row per announcement. `event_id` (letters, digits, `_`), `announced_at` (ISO-8601 with a UTC
  offset, e.g. `2025-04-02T16:15:00-04:00`, or a plain date, taken as the end of that day), `time_precision`
  (`exact`, `approx`, `day`), `timezone` (IANA, the announcer's), `headline` (`true`/`false`), one `sign_<...>`
  column per expected reaction (`+`, `-`, `0`), and free text: `title`, `description`, `source_url`, ...
- `universe.csv`: one row per security. `ticker` (as Yahoo spells it: `LYC.AX`, `600111.SS`), `group`,
  `exchange` (ISO 10383 MIC: XNYS, XASX, XSHG, XSHE, XTKS, ...), `currency`, `benchmark` (the ticker of the local
  index proxy; benchmarks are rows of group `benchmark`), optional `segment`, `first_valid_date`, `notes`.

Next: `eventstudy validate` checks the three files (and, with prices at hand, their coverage); `eventstudy fetch`
downloads the prices; `eventstudy run` writes reports/{name}/.
"""


def _csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return buf.getvalue()


def _event_columns() -> list[str]:
    from . import events

    required = list(getattr(events, "EVENT_COLUMNS", ()))
    return list(dict.fromkeys([*required, *_EVENT_EXAMPLE]))


def write_scaffold(directory: str | Path, *, force: bool = False) -> list[Path]:
    """Write ``study.toml``, ``events.csv``, ``universe.csv`` and ``README.md`` into ``directory``.

    Raises
    ------
    ConfigError
        When one of the files exists already and ``force`` is off.
    """
    root = Path(directory)
    columns = _event_columns()
    event = {c: _EVENT_EXAMPLE.get(c, "+" if c.startswith("sign_") else "") for c in columns}
    files = {
        "study.toml": STUDY_TEMPLATE,
        "events.csv": _csv([event], columns),
        "universe.csv": _csv(_UNIVERSE_ROWS, list(_UNIVERSE_ROWS[0])),
        "README.md": _README.format(name=root.resolve().name),
    }
    existing = [name for name in files if (root / name).exists()]
    if existing and not force:
        raise ConfigError(
            f"{root / existing[0]}: already exists; fix: choose an empty folder, or pass --force to overwrite"
        )
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = root / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
