"""The universe (securities) table: schema, validation and normalisation into a :class:`Universe`.

A universe file is a CSV table with one row per security: its ticker, name, group (any name the study gives
it; market indices are in group ``benchmark``), an optional finer reporting ``segment``, the
exchange (ISO 10383 MIC) whose sessions define its event time, its currency, the ticker of its local market
benchmark, for a benchmark the index that fills its missing sessions (``benchmark_fallback``, optional), the first
date whose price may be used, and short notes.

Only securities belong here. Rate indices such as ^TNX and ^IRX (Yahoo yield indices, in percent) are not
securities: they have no return to study and no benchmark, so they are left out of the universe even when
price files exist for them.

The market model aligns a security and its benchmark on the security's own sessions, so a benchmark must
trade on the same calendar as the securities that use it (XSHE and XSHG share one calendar). A model that needs no
benchmark (``constant_mean``) needs no benchmark column either: the column may be absent or a cell empty, and
:meth:`Universe.require_benchmarks` refuses that only when the study's model uses the benchmark.

Every problem raises a :class:`~eventstudy.errors.UniverseError` whose one-line message names
``FILE:LINE:COLUMN`` (the header is line 1), the offending value and the fix.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from .calendars import SUPPORTED_EXCHANGES, calendar_name
from .errors import CalendarError, UniverseError, located
from .events import CsvCells, check_header, frame_cells, read_csv_cells
from .paths import check_identifier, check_ticker

__all__ = [
    "UNIVERSE_COLUMNS",
    "REQUIRED_UNIVERSE_COLUMNS",
    "OPTIONAL_UNIVERSE_COLUMNS",
    "KNOWN_EXCHANGES",
    "BENCHMARK_GROUP",
    "Universe",
    "read_universe",
    "calendar_of",
]

#: Every column of a normalised universe frame, in file order.
UNIVERSE_COLUMNS: tuple[str, ...] = (
    "ticker",
    "name",
    "group",
    "segment",
    "exchange",
    "currency",
    "benchmark",
    "benchmark_fallback",
    "first_valid_date",
    "notes",
)

#: Columns every universe file must have.
REQUIRED_UNIVERSE_COLUMNS: tuple[str, ...] = ("ticker", "name", "group", "exchange", "currency")

#: Columns a universe file may have. Absent ``segment`` repeats the group, absent ``benchmark`` is missing for every
#: security (enough for a model that needs none, see :meth:`Universe.require_benchmarks`), absent
#: ``first_valid_date`` is NaT (the whole price file is usable) and absent ``notes`` is empty. ``benchmark_fallback``
#: on a benchmark's row names the index whose returns fill that benchmark's missing sessions (METHODS §2).
OPTIONAL_UNIVERSE_COLUMNS: tuple[str, ...] = ("segment", "benchmark", "benchmark_fallback", "first_valid_date", "notes")

#: The exchanges of the study (MIC codes). Any ``exchange_calendars`` name is accepted too.
KNOWN_EXCHANGES: tuple[str, ...] = SUPPORTED_EXCHANGES

#: The group whose members are market indices; they need no benchmark of their own.
BENCHMARK_GROUP = "benchmark"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_NA_TOKENS = frozenset({"nan", "n/a", "#n/a", "#na", "null", "none", "nat"})
_MAY_BE_EMPTY = ("segment", "benchmark", "benchmark_fallback", "first_valid_date", "notes")
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)


def _is_known_exchange(exchange: str) -> bool:
    try:
        calendar_name(exchange)
    except CalendarError:
        return False
    return True


def calendar_of(exchange: str) -> str:
    """The calendar an exchange trades on (see :func:`eventstudy.calendars.calendar_name`).

    >>> calendar_of("XSHE")
    'XSHG'
    """
    return calendar_name(exchange)


def _parse_date(text: str, where: str) -> date | None:
    if not text:
        return None
    parsed: date | None = None
    if _DATE.fullmatch(text):
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise UniverseError(
            located(
                where,
                "cannot read the first valid date",
                value=text,
                fix="write an ISO date such as 2025-03-14, or leave it empty when every row is usable",
            )
        )
    return parsed


def _check_reference(
    rec: dict[str, Any],
    column: str,
    by_ticker: dict[str, dict[str, Any]],
    where: str,
    *,
    self_fix: str,
    missing_fix: str,
    why_same_calendar: str,
    same_calendar_noun: str,
) -> None:
    """A security's ``benchmark`` or ``benchmark_fallback`` (``column``) must be another ticker of the universe on
    the same calendar; an empty cell passes. ``self_fix``, ``missing_fix``, ``why_same_calendar`` and
    ``same_calendar_noun`` word the errors for the column."""
    role = "fallback" if column == "benchmark_fallback" else "benchmark"
    ticker, ref = rec["ticker"], rec[column]
    if not ref:
        return
    if ref == ticker:
        raise UniverseError(located(where, f"{ticker} is its own {role}", value=ref, fix=self_fix))
    if ref not in by_ticker:
        raise UniverseError(
            located(where, f"the {role} of {ticker} is not a ticker of the universe", value=ref, fix=missing_fix)
        )
    own, theirs = rec["exchange"], by_ticker[ref]["exchange"]
    if own != theirs and calendar_of(own) != calendar_of(theirs):
        raise UniverseError(
            located(
                where,
                f"the {role} {ref} trades on {theirs} but {ticker} on {own}; {why_same_calendar}",
                value=ref,
                fix=f"use {same_calendar_noun} listed on {own} (or on an exchange sharing its calendar)",
            )
        )


def _validate(cells: CsvCells) -> tuple[pd.DataFrame, dict[str, int]]:
    name = cells.name
    check_header(
        cells,
        required=REQUIRED_UNIVERSE_COLUMNS,
        optional=OPTIONAL_UNIVERSE_COLUMNS,
        error=UniverseError,
        what="universe",
    )
    index = {c: i for i, c in enumerate(cells.header)}
    records: list[dict[str, Any]] = []
    line_of: dict[str, int] = {}

    for row, line in zip(cells.rows, cells.lines, strict=True):

        def at(column: str, line: int = line) -> str:
            return f"{name}:{line}:{column}"

        rec: dict[str, Any] = {c: (row[index[c]] if c in index else "") for c in UNIVERSE_COLUMNS}
        for c in _MAY_BE_EMPTY:  # a spreadsheet's "not available" in a column that may be empty is empty
            if rec[c].lower() in _NA_TOKENS:
                rec[c] = ""
        ticker = rec["ticker"]
        if not ticker or any(ch.isspace() for ch in ticker):
            raise UniverseError(
                located(
                    at("ticker"),
                    "the ticker is empty or contains a space",
                    value=ticker,
                    fix="write the ticker as the price source spells it, e.g. MP, LYC.AX, 600111.SS",
                )
            )
        # a strict pattern before any file is opened: no path, no formula, nothing a price file name can't hold
        check_ticker(ticker, where=at("ticker"), error=UniverseError)
        if rec["benchmark"]:
            check_ticker(rec["benchmark"], where=at("benchmark"), error=UniverseError)
        if rec["benchmark_fallback"]:
            check_ticker(rec["benchmark_fallback"], where=at("benchmark_fallback"), error=UniverseError)
        if ticker in line_of:
            raise UniverseError(
                located(
                    at("ticker"),
                    f"duplicate ticker, already listed on line {line_of[ticker]}",
                    value=ticker,
                    fix="list each security once",
                )
            )
        line_of[ticker] = line

        if not rec["group"]:
            raise UniverseError(
                located(
                    at("group"),
                    f"the group of {ticker} is empty",
                    fix="name its group (any name; benchmark for a market index)",
                )
            )
        check_identifier(rec["group"], what="group", where=at("group"), error=UniverseError)
        if not rec["segment"]:
            rec["segment"] = rec["group"]
        check_identifier(rec["segment"], what="segment", where=at("segment"), error=UniverseError)

        exchange = rec["exchange"]
        if not _is_known_exchange(exchange):
            from .calendars import known_calendar_names

            candidates = sorted(set(KNOWN_EXCHANGES) | set(known_calendar_names()))
            close = difflib.get_close_matches(exchange.upper(), candidates, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UniverseError(
                located(
                    at("exchange"),
                    f"unknown exchange of {ticker}",
                    value=exchange,
                    fix=f"{hint}use a MIC code such as {', '.join(KNOWN_EXCHANGES)} (or any exchange_calendars name)",
                )
            )

        if not _CURRENCY.fullmatch(rec["currency"]):
            raise UniverseError(
                located(
                    at("currency"),
                    f"the currency of {ticker} is not a 3-letter ISO 4217 code",
                    value=rec["currency"],
                    fix="write the code in capitals, e.g. USD, AUD, CNY, JPY",
                )
            )

        rec["first_valid_date"] = _parse_date(rec["first_valid_date"], at("first_valid_date"))
        records.append(rec)

    by_ticker = {rec["ticker"]: rec for rec in records}
    for rec in records:
        line = line_of[rec["ticker"]]
        fallback = rec["benchmark_fallback"]
        _check_reference(
            rec,
            "benchmark_fallback",
            by_ticker,
            f"{name}:{line}:benchmark_fallback",
            self_fix="name another index, or leave it empty",
            missing_fix=f"add {fallback} as a row with group {BENCHMARK_GROUP}, or leave the cell empty",
            why_same_calendar="a missing session is filled from the same session of the fallback",
            same_calendar_noun="an index",
        )
        # an empty benchmark passes here: the market model alone needs one (Universe.require_benchmarks, once the
        # model is known)
        benchmark = rec["benchmark"]
        missing = benchmark and benchmark not in by_ticker
        close = difflib.get_close_matches(benchmark, list(by_ticker), n=1) if missing else []
        hint = f"did you mean {close[0]!r}? Otherwise " if close else ""
        _check_reference(
            rec,
            "benchmark",
            by_ticker,
            f"{name}:{line}:benchmark",
            self_fix="leave the benchmark of a market index empty, or name another ticker",
            missing_fix=f"{hint}add {benchmark} as a row with group {BENCHMARK_GROUP}",
            why_same_calendar="the market model aligns returns on the security's own sessions",
            same_calendar_noun="a benchmark",
        )

    frame = pd.DataFrame.from_records(records, columns=list(UNIVERSE_COLUMNS))
    frame["benchmark"] = frame["benchmark"].mask(frame["benchmark"] == "")
    frame["benchmark_fallback"] = frame["benchmark_fallback"].mask(frame["benchmark_fallback"] == "")
    dates = pd.Series(list(frame["first_valid_date"]), dtype=object)
    frame["first_valid_date"] = pd.to_datetime(dates).astype("datetime64[us]")
    return frame, line_of


@dataclass(frozen=True, eq=False)
class Universe:
    """A validated universe of securities.

    Attributes
    ----------
    frame
        One row per security, in the order of the file, with the columns :data:`UNIVERSE_COLUMNS`: text,
        except ``benchmark`` (missing, NaN, when the security has none) and ``first_valid_date``
        (datetime64, NaT when every price row is usable). Treat it as read-only.
    name
        The file name used in messages (``"<frame>"`` for a universe built from a DataFrame).
    lines
        Ticker → its line in the file (the header is line 1), for messages about a security found later.
    benchmark_column
        Whether the file has a ``benchmark`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> universe = Universe.from_frame(pd.DataFrame({
    ...     "ticker": ["MP", "SPY"], "name": ["MP Materials", "SPDR S&P 500"],
    ...     "group": ["producers", "benchmark"], "exchange": ["XNYS", "XNYS"], "currency": ["USD", "USD"],
    ...     "benchmark": ["SPY", ""]}))
    >>> universe.members("producers"), universe.benchmarks
    (('MP',), {'MP': 'SPY'})
    """

    frame: pd.DataFrame
    name: str = "<frame>"
    lines: Mapping[str, int] = field(default_factory=dict)
    benchmark_column: bool = True

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, name: str = "<frame>") -> Universe:
        """Validate and normalise a DataFrame with the columns of a universe file.

        Messages name row ``i`` (0-based position) as line ``i + 2``, as if the frame were written to a file.
        """
        return _from_cells(frame_cells(frame, name=name, error=UniverseError))

    def require_benchmarks(self, tickers: Iterable[str], *, model: str) -> None:
        """Check that each of ``tickers`` has a benchmark, for a model (named ``model``) that uses its returns.

        Raises
        ------
        UniverseError
            Naming the file, the line and the ``benchmark`` column of the first security without one (or the
            header when the column is absent), and the fixes: name its benchmark, or choose a model that needs
            none (``constant_mean``).
        """
        has = self.benchmarks
        without = [t for t in tickers if t not in has]
        if not without:
            return
        other = "or choose a model that needs no benchmark (model = constant_mean)"
        if not self.benchmark_column:
            raise UniverseError(
                located(
                    f"{self.name}:1:benchmark",
                    f"the universe has no benchmark column, and the {model} model needs each security's benchmark "
                    f"(e.g. {without[0]})",
                    fix=f"add a benchmark column naming each security's local market index (a row of the universe), "
                    f"{other}",
                )
            )
        ticker = without[0]
        line = self.lines.get(ticker)
        where = f"{self.name}:{line}:benchmark" if line is not None else f"{self.name}:benchmark"
        more = f" (and {len(without) - 1} more)" if len(without) > 1 else ""
        raise UniverseError(
            located(
                where,
                f"{ticker} has no benchmark{more}, and the {model} model needs one",
                fix="name the ticker of its local market index (a row of the universe), put it in the benchmark "
                f"group, {other}",
            )
        )

    @property
    def tickers(self) -> tuple[str, ...]:
        """Every ticker, in file order."""
        return tuple(self.frame["ticker"])

    @property
    def groups(self) -> tuple[str, ...]:
        """The distinct groups, in order of first appearance."""
        return tuple(dict.fromkeys(self.frame["group"]))

    @property
    def benchmarks(self) -> dict[str, str]:
        """Ticker → benchmark ticker, for every security that has a benchmark."""
        has = self.frame["benchmark"].notna()
        return dict(zip(self.frame.loc[has, "ticker"], self.frame.loc[has, "benchmark"], strict=True))

    @property
    def exchanges(self) -> dict[str, str]:
        """Ticker → exchange (MIC)."""
        return dict(zip(self.frame["ticker"], self.frame["exchange"], strict=True))

    def members(self, groups: str | Iterable[str]) -> tuple[str, ...]:
        """The tickers of one group or several, in file order.

        Raises
        ------
        UniverseError
            If a group has no member.
        """
        wanted = [groups] if isinstance(groups, str) else list(groups)
        known = self.groups
        for group in wanted:
            if group not in known:
                close = difflib.get_close_matches(str(group), known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise UniverseError(
                    located(
                        f"{self.name}:group",
                        "no security belongs to this group",
                        value=group,
                        fix=f"{hint}the groups are: {', '.join(known)}",
                    )
                )
        return tuple(self.frame.loc[self.frame["group"].isin(wanted), "ticker"])

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, ticker: object) -> bool:
        return bool((self.frame["ticker"] == ticker).any()) if isinstance(ticker, str) else False

    def __repr__(self) -> str:
        return f"Universe({self.name!r}, {len(self)} securities, groups {', '.join(self.groups)})"


def read_universe(path: str | os.PathLike[str]) -> Universe:
    """Read and validate a universe CSV file.

    Parameters
    ----------
    path
        The universe file: UTF-8 (a byte-order mark is fine), ``,`` or ``;`` delimited, LF or CRLF line ends,
        with the columns :data:`REQUIRED_UNIVERSE_COLUMNS` and any of :data:`OPTIONAL_UNIVERSE_COLUMNS`.

    Returns
    -------
    Universe
        The validated, normalised table; its ``name`` is the file name.

    Raises
    ------
    UniverseError
        On the first problem found, with ``FILE:LINE:COLUMN``, the value and the fix in its message.
    """
    return _from_cells(read_csv_cells(path, error=UniverseError))


def _from_cells(cells: CsvCells) -> Universe:
    frame, lines = _validate(cells)
    return Universe(frame=frame, name=cells.name, lines=lines, benchmark_column="benchmark" in cells.header)
