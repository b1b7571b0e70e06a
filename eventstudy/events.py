"""The events table: schema, validation and normalisation into an :class:`EventTable`.

An events file is a CSV table with one row per announcement. Only two columns are required: ``event_id`` and
``announced_at`` (``date`` or ``event_date`` are read as ``announced_at``). Everything else is optional:

- ``time_precision`` (``exact``, ``approx`` or ``day``) defaults from the form of the value: a plain date is
  ``day``, a time with a UTC offset ``exact``, a time without one ``approx``;
- ``timezone``, the announcer's IANA zone, defaults for a firm-specific event to the zone of its securities'
  exchange (when they share one), else to UTC with a warning that names the events;
- ``sign_<group>`` columns give the expected sign of the reaction of any group of the study (``+``, ``-``,
  ``0``, ``+/-``, or empty for no expectation);
- ``title`` defaults to the event id, ``headline`` to false, the descriptive columns to empty text;
- ``ticker`` (one security), ``tickers`` (several, separated by spaces or ``;``) or ``group`` (one or more
  universe groups) limit an event to those securities: a firm-specific event. Without them, or with them empty,
  an event is market-wide and concerns every security of the study. With a ``ticker`` column the ``event_id``
  may be left out: it is then ``<ticker>_<date>``, so the usual table of an earnings or M&A study
  (``ticker, event_date``) is an events file as it stands.

Timing follows METHODS §1:

- ``exact`` and ``approx``: ``announced_at`` is a local date and time. With a UTC offset
  (``2025-04-02T16:00:00-04:00``) it is that instant; the offset must be the one ``timezone`` has at that
  moment. An ``approx`` time without an offset is read as local time in ``timezone``. An ``exact`` time must
  carry its offset.
- ``day``: ``announced_at`` is a plain date (``2025-06-27``). Its day 0 is the session of that date in
  ``timezone`` or the next one (:func:`eventstudy.calendars.date_day0`). ``announced_at_utc`` holds 23:59:59
  local time, the instant of the older, late convention kept as a robustness variant.
- ``time_source`` (optional) says where an ``approx`` or ``exact`` time came from; ``early_announced_at``
  (optional, a date and time with its UTC offset, in any zone) is an earlier release of the same news, the
  announcement of the early-day-0 robustness variant (:meth:`EventTable.with_early_release`).

Every problem raises an :class:`~eventstudy.errors.EventsError` whose one-line message names
``FILE:LINE:COLUMN`` (the header is line 1), the offending value and the fix.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .errors import DataWarning, EventsError, EventStudyError, located
from .paths import check_identifier, not_csv_text

__all__ = [
    "EVENT_COLUMNS",
    "OPTIONAL_EVENT_COLUMNS",
    "ALL_EVENT_COLUMNS",
    "ANNOUNCED_AT_ALIASES",
    "SCOPE_COLUMNS",
    "SIGN_PREFIX",
    "SIGN_VALUES",
    "TIME_PRECISIONS",
    "DEFAULT_TIMEZONE",
    "EventTable",
    "read_events",
    "sign_columns",
]

#: Columns every events file must have (``event_id`` may be left out when a ``ticker`` column names the firm).
EVENT_COLUMNS: tuple[str, ...] = ("event_id", "announced_at")

#: Other names read as ``announced_at``.
ANNOUNCED_AT_ALIASES: tuple[str, ...] = ("date", "event_date")

#: Columns an events file may have; when absent they are added with their defaults (see the module notes).
OPTIONAL_EVENT_COLUMNS: tuple[str, ...] = (
    "title",
    "description",
    "announcer",
    "category",
    "direction",
    "time_precision",
    "timezone",
    "headline",
    "confidence",
    "confounders",
    "source_url",
    "research_id",
    "time_source",
    "early_announced_at",
)

#: Columns that limit an event to some securities; normalised to ``tickers`` and ``group``.
SCOPE_COLUMNS: tuple[str, ...] = ("ticker", "tickers", "group")

#: Expected-sign columns are named ``sign_<group>``, one for each group the study has expectations for.
SIGN_PREFIX = "sign_"

#: Every column of a normalised events frame that every table has, in order (``sign_<group>`` columns follow
#: ``timezone``, in the file's order; ``tickers`` and ``group`` follow ``research_id`` when the file scopes an
#: event; ``announced_at_utc`` comes last).
ALL_EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "title",
    "description",
    "announcer",
    "category",
    "direction",
    "announced_at",
    "time_precision",
    "timezone",
    "headline",
    "confidence",
    "confounders",
    "source_url",
    "research_id",
    "time_source",
    "early_announced_at",
)

#: The column added by normalisation: the announcement instant as a tz-aware UTC Timestamp.
INSTANT_COLUMN = "announced_at_utc"

#: The zone of an event whose file gives none and whose securities do not fix one.
DEFAULT_TIMEZONE = "UTC"

SIGN_VALUES: tuple[str, ...] = ("+", "-", "0", "+/-")
TIME_PRECISIONS: tuple[str, ...] = ("exact", "approx", "day")
CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_LIST_SEP = re.compile(r"[;\s]+")

#: ISO-8601 extended form: a date, optionally a time (T or space) and a UTC offset or Z.
_ISO = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(?P<offset>Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.ASCII,
)

_DAY_END = time(23, 59, 59)
_YEARS = (1900, 2200)  # announcement years accepted (time zone rules are reliable, no calendar overflow)


def sign_columns(columns: Iterable[str]) -> tuple[str, ...]:
    """The expected-sign columns among ``columns``, in their order.

    >>> sign_columns(["event_id", "sign_banks", "announced_at", "sign_insurers"])
    ('sign_banks', 'sign_insurers')
    """
    return tuple(c for c in columns if c.startswith(SIGN_PREFIX) and len(c) > len(SIGN_PREFIX))


# ----------------------------------------------------------------------------------------------------
# Reading a CSV file as text cells with their line numbers (shared with universe.py)
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvCells:
    """A CSV table read as stripped text cells.

    Attributes
    ----------
    name
        The file name used in messages.
    header
        The stripped column names.
    rows
        One tuple of stripped cells per data row (blank lines skipped).
    lines
        The line in the file on which each row starts.
    header_line
        The line of the header (1 unless the file starts with blank lines).
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    header_line: int = 1


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter of a header line: the most frequent of ``,``, ``;`` and tab (``,`` if none occurs)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_csv_cells(path: str | os.PathLike[str], *, error: type[EventStudyError] = EventsError) -> CsvCells:
    """Read a CSV file as text cells, keeping the line on which each row starts.

    Accepts a UTF-8 byte-order mark, CRLF or LF line ends, and ``,``, ``;`` or tab as delimiter (sniffed from
    the header line). Headers and cells are stripped of surrounding whitespace. Nothing is converted.

    Parameters
    ----------
    path
        The CSV file.
    error
        The error class to raise (``EventsError``, ``UniverseError``, ...).

    Raises
    ------
    EventStudyError
        (of class ``error``) when the file is missing, not UTF-8 or empty, or a row has the wrong number of
        cells.
    """
    path = Path(path)
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(located(str(path), "file not found", fix="check the path")) from None
    except OSError as exc:
        raise error(located(str(path), f"cannot read the file ({exc.strerror})", fix="check the path")) from None
    binary = not_csv_text(raw[:8])
    if binary is not None:
        raise error(located(f"{name}:1", binary[0], fix=binary[1]))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            located(
                f"{name}:{line}",
                "the file is not UTF-8 text",
                value=raw[exc.start : exc.start + 8],
                fix="save the file as UTF-8 (CSV UTF-8 in a spreadsheet)",
            )
        ) from None
    if not text.strip():
        raise error(located(f"{name}:1", "the file is empty", fix="write a header line and at least one row"))

    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: tuple[str, ...] = ()
    header_line = 0
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    end = 0  # the last physical line read so far
    try:
        for record in reader:
            start = end + 1
            end = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            cells = tuple(cell.strip() for cell in record)
            if not header_line:
                header = cells
                header_line = start
                continue
            if len(cells) > len(header) and not any(cells[len(header) :]):
                cells = cells[: len(header)]  # empty cells a spreadsheet added past the last column
            if len(cells) != len(header):
                raise error(
                    located(
                        f"{name}:{start}",
                        f"the row has {len(cells)} cells but the header (line {header_line}) has {len(header)}",
                        value=delimiter.join(cells),
                        fix=f"quote cells that contain the delimiter {delimiter!r}, or add the missing cells",
                    )
                )
            rows.append(cells)
            lines.append(start)
    except csv.Error as exc:
        raise error(
            located(f"{name}:{reader.line_num}", f"the CSV cannot be parsed ({exc})", fix="check the quoting")
        ) from None
    if not header_line:
        raise error(located(f"{name}:1", "the file has no header line", fix="write a header line and rows"))
    # a spreadsheet's export often ends every line with empty cells under no header: drop those columns
    keep = len(header)
    while keep and not header[keep - 1] and all(not r[keep - 1] for r in rows):
        keep -= 1
    if keep < len(header):
        header = header[:keep]
        rows = [r[:keep] for r in rows]
    return CsvCells(name=name, header=header, rows=tuple(rows), lines=tuple(lines), header_line=header_line)


def check_header(
    cells: CsvCells,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    derived: Sequence[str] = (),
    error: type[EventStudyError],
    what: str,
) -> None:
    """Check the header of a table: no blank, duplicate, unknown or missing column.

    ``derived`` columns (computed by normalisation) are tolerated and ignored.
    """
    allowed = (*required, *optional)
    seen: dict[str, int] = {}
    for position, column in enumerate(cells.header, start=1):
        if not column:
            raise error(
                located(
                    f"{cells.name}:{cells.header_line}:{position}",
                    f"column {position} of the header has no name",
                    fix="name the column or delete it",
                )
            )
        if column in seen:
            raise error(
                located(
                    f"{cells.name}:{cells.header_line}:{column}",
                    f"column {column!r} appears twice (columns {seen[column]} and {position})",
                    fix="delete one of them",
                )
            )
        seen[column] = position
        if column not in allowed and column not in derived:
            close = difflib.get_close_matches(column, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise error(
                located(
                    f"{cells.name}:{cells.header_line}:{column}",
                    f"unknown column in the {what} table",
                    value=column,
                    fix=f"{hint}allowed columns are: {', '.join(allowed)}",
                )
            )
    missing = [c for c in required if c not in seen]
    if missing:
        raise error(
            located(
                f"{cells.name}:{cells.header_line}:{missing[0]}",
                f"missing required column(s): {', '.join(missing)}",
                fix=f"the {what} table needs the columns: {', '.join(required)}",
            )
        )
    if not cells.rows:
        raise error(
            located(
                f"{cells.name}:{cells.header_line + 1}",
                f"the {what} table has a header but no rows",
                fix="add at least one row",
            )
        )


def _cell_text(value: Any) -> str:
    """A frame cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp | datetime):
        if pd.isna(value):
            return ""
        if value.tzinfo is None and value.time() == time(0, 0):
            return value.date().isoformat()  # a date held as a Timestamp
        return value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def frame_cells(frame: pd.DataFrame, *, name: str, error: type[EventStudyError]) -> CsvCells:
    """A DataFrame as :class:`CsvCells`, as if written to a CSV file (header line 1, row i on line i + 2)."""
    if not isinstance(frame, pd.DataFrame):
        raise error(located(name, "expected a pandas DataFrame", value=type(frame).__name__))
    header = tuple(str(c).strip() for c in frame.columns)
    rows = tuple(tuple(_cell_text(v) for v in row) for row in frame.itertuples(index=False, name=None))
    return CsvCells(name=name, header=header, rows=rows, lines=tuple(range(2, len(rows) + 2)))


# ----------------------------------------------------------------------------------------------------
# Events
# ----------------------------------------------------------------------------------------------------


def _zone(text: str, where: str) -> ZoneInfo:
    fix = "use an IANA zone name such as America/New_York, Asia/Shanghai or Europe/London"
    if not text:
        raise EventsError(located(where, "the time zone is empty", fix=fix))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    names = sorted(_available_zones())
    close = difflib.get_close_matches(text, names, n=1)
    if close:
        fix = f"did you mean {close[0]!r}? {fix}"
    raise EventsError(located(where, "unknown IANA time zone", value=text, fix=fix))


def _available_zones() -> set[str]:
    import zoneinfo

    return zoneinfo.available_timezones()


def _fmt_offset(delta: timedelta | None) -> str:
    if delta is None:
        return "?"
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _instant(
    text: str, precision: str, zone: ZoneInfo | None, *, name: str, line: int, column: str = "announced_at"
) -> pd.Timestamp:
    """The UTC instant of one ``announced_at`` cell (METHODS §1)."""
    where = f"{name}:{line}:{column}"
    match = _ISO.fullmatch(text)
    parsed: datetime | None = None
    if match is not None:
        try:
            parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            parsed = None
    if match is None or parsed is None:
        raise EventsError(
            located(
                where,
                "cannot read the announcement time",
                value=text,
                fix="write an ISO-8601 date (2025-06-27) or date and time with its UTC offset "
                "(2025-04-02T16:00:00-04:00)",
            )
        )
    if not _YEARS[0] <= parsed.year <= _YEARS[1]:
        raise EventsError(
            located(
                where,
                f"the year is outside {_YEARS[0]}-{_YEARS[1]}",
                value=text,
                fix="check the date",
            )
        )
    has_time = match.group("time") is not None
    has_offset = match.group("offset") is not None

    if precision == "day":
        if has_time and not has_offset and parsed.time() == time(0, 0):
            has_time = False  # a spreadsheet's date cell exported with a midnight time: the date itself
        if has_time:
            raise EventsError(
                located(
                    where,
                    "a date with a time but time_precision is day",
                    value=text,
                    fix=f"write the date only ({match.group('date')}) or set time_precision to exact or approx",
                )
            )
        local = datetime.combine(date.fromisoformat(match.group("date")), _DAY_END, tzinfo=zone)
        return pd.Timestamp(local.astimezone(UTC))

    if not has_time:
        raise EventsError(
            located(
                where,
                f"a date without a time but time_precision is {precision}",
                value=text,
                fix="add the local time and its UTC offset, or set time_precision to day",
            )
        )
    if has_offset and zone is None:  # no time zone given: the offset alone fixes the instant
        return pd.Timestamp(parsed.astimezone(UTC))
    assert zone is not None  # a value without an offset always comes with a zone (given or defaulted)
    if has_offset:
        expected = _fmt_offset(parsed.astimezone(zone).utcoffset())
        given = _fmt_offset(parsed.utcoffset())
        if given != expected:
            raise EventsError(
                located(
                    where,
                    f"the UTC offset {given} is not the offset of {zone.key} at that moment ({expected})",
                    value=text,
                    fix=f"write the local time in {zone.key} with offset {expected} (mind daylight saving), "
                    "or correct the timezone column",
                )
            )
        return pd.Timestamp(parsed.astimezone(UTC))

    if precision == "exact":
        offset = _fmt_offset(parsed.replace(tzinfo=zone).utcoffset())
        raise EventsError(
            located(
                where,
                "an exact time without a UTC offset",
                value=text,
                fix=f"add the UTC offset of {zone.key} at that moment, e.g. {text}{offset}",
            )
        )
    # approx, naive: local time in the announcer's zone; reject times that do not exist or are ambiguous.
    first = parsed.replace(tzinfo=zone, fold=0)
    second = parsed.replace(tzinfo=zone, fold=1)
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != parsed or first.utcoffset() != second.utcoffset():
        problem = "does not exist" if back != parsed else "is ambiguous"
        raise EventsError(
            located(
                where,
                f"the local time {problem} in {zone.key} (daylight-saving change)",
                value=text,
                fix="write the time with its UTC offset",
            )
        )
    return pd.Timestamp(first.astimezone(UTC))


def _early_instant(text: str, where: str) -> pd.Timestamp:
    """An earlier release of the news: a date and time with its UTC offset, in the zone where it happened."""
    match = _ISO.fullmatch(text)
    if match is None or match.group("time") is None or match.group("offset") is None:
        raise EventsError(
            located(
                where,
                "an early release needs a date, a time and its UTC offset",
                value=text,
                fix="write e.g. 2025-06-26T14:00:00-04:00, or leave the cell empty",
            )
        )
    return pd.Timestamp(datetime.fromisoformat(text.replace(" ", "T", 1)))


def _check_choice(value: str, allowed: Sequence[str], where: str, what: str, *, blank_ok: bool = False) -> None:
    if blank_ok and value == "":
        return
    if value not in allowed:
        close = difflib.get_close_matches(value.lower(), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        blank = " (or leave it empty)" if blank_ok else ""
        raise EventsError(
            located(where, f"unknown {what}", value=value, fix=f"{hint}write one of {', '.join(allowed)}{blank}")
        )


def _precision_of(text: str) -> str:
    """The time precision a value's form implies: a plain date is ``day``, a time with an offset ``exact``, a time
    without one ``approx`` (an unreadable value gives ``day``; reading it then names the problem)."""
    match = _ISO.fullmatch(text)
    if match is None or match.group("time") is None:
        return "day"
    return "exact" if match.group("offset") is not None else "approx"


def _split_list(text: str) -> tuple[str, ...]:
    """``"MP; LYC.AX"`` → ``("MP", "LYC.AX")``: names separated by ``;`` or spaces."""
    return tuple(t for t in _LIST_SEP.split(text) if t)


def _derived_id(ticker: str, announced_at: str) -> str:
    """The event id of a firm-specific row without one: ``<ticker>_<date>`` in id-safe characters."""
    day = announced_at[:10]
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", f"{ticker}_{day}").strip("_.-")


def _columns_of(cells: CsvCells) -> dict[str, str]:
    """Canonical column → the header's name for it (``announced_at`` from an alias, scope columns)."""
    name, header = cells.name, cells.header
    where = f"{name}:{cells.header_line}"
    given = [c for c in ("announced_at", *ANNOUNCED_AT_ALIASES) if c in header]
    if len(given) > 1:
        raise EventsError(
            located(
                f"{where}:{given[1]}",
                f"two columns give the announcement date: {', '.join(given)}",
                fix="keep one of them (announced_at, or date as its alias)",
            )
        )
    ticker_cols = [c for c in ("ticker", "tickers") if c in header]
    if len(ticker_cols) > 1:
        raise EventsError(
            located(
                f"{where}:tickers",
                "both ticker and tickers are given",
                fix="keep one: ticker for one security per row, tickers for several separated by spaces or ';'",
            )
        )
    group_cols = [c for c in ("group", "groups") if c in header]
    if len(group_cols) > 1:
        raise EventsError(located(f"{where}:groups", "both group and groups are given", fix="keep one of them"))
    out = {c: c for c in header}
    if given:
        out["announced_at"] = given[0]
    else:
        raise EventsError(
            located(
                f"{where}:announced_at",
                "missing required column: announced_at",
                fix="add the announcement date or time as announced_at (or date), e.g. 2025-06-27 or "
                "2025-04-02T16:00:00-04:00",
            )
        )
    if ticker_cols:
        out["tickers"] = ticker_cols[0]
    if group_cols:
        out["groups"] = group_cols[0]
    return out


def _validate(cells: CsvCells, *, zones: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The normalised frame and the ids of the events whose time zone was not given (and so defaulted)."""
    name = cells.name
    columns = _columns_of(cells)
    signs = sign_columns(cells.header)
    has_ticker = "ticker" in cells.header
    check_header(
        cells,
        required=(*(() if has_ticker else ("event_id",)), columns["announced_at"]),
        optional=(
            *(() if not has_ticker else ("event_id",)),
            *OPTIONAL_EVENT_COLUMNS,
            *(c for c in ("announced_at", *ANNOUNCED_AT_ALIASES) if c != columns["announced_at"]),
            *SCOPE_COLUMNS,
            "groups",
            *signs,
        ),
        derived=(INSTANT_COLUMN,),
        error=EventsError,
        what="events",
    )
    index = {c: cells.header.index(h) for c, h in columns.items()}
    scoped = [c for c in ("tickers", "groups") if c in columns]
    out_columns = [*ALL_EVENT_COLUMNS[:9], *signs, *ALL_EVENT_COLUMNS[9:], *scoped]

    def get(row: tuple[str, ...], column: str) -> str:
        i = index.get(column)
        return row[i] if i is not None else ""

    records: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    defaulted: list[str] = []
    for row, line in zip(cells.rows, cells.lines, strict=True):

        def at(column: str, line: int = line) -> str:
            return f"{name}:{line}:{columns.get(column, column)}"

        rec: dict[str, Any] = {c: get(row, c) for c in out_columns}

        if "tickers" in rec:
            tickers = _split_list(rec["tickers"])
            if has_ticker and len(tickers) > 1:
                raise EventsError(
                    located(
                        at("tickers"),
                        "several tickers in the ticker column",
                        value=rec["tickers"],
                        fix="write one ticker per row, or name the column tickers for several",
                    )
                )
            rec["tickers"] = " ".join(tickers)
        if "groups" in rec:
            rec["groups"] = " ".join(_split_list(rec["groups"]))

        event_id = rec["event_id"]
        if not event_id and has_ticker and rec["tickers"]:
            event_id = rec["event_id"] = _derived_id(rec["tickers"], rec["announced_at"])
        if not event_id:
            fix = "give every event a short unique id"
            if has_ticker:
                fix += ", or its ticker"
            raise EventsError(located(at("event_id"), "the event_id is empty", fix=fix))
        check_identifier(event_id, what="event_id", where=at("event_id"), error=EventsError)
        if event_id in first_line:
            raise EventsError(
                located(
                    at("event_id"),
                    f"duplicate event_id, already used on line {first_line[event_id]}",
                    value=event_id,
                    fix="give each event a unique id",
                )
            )
        first_line[event_id] = line

        precision = rec["time_precision"] or _precision_of(rec["announced_at"])
        rec["time_precision"] = precision
        _check_choice(precision, TIME_PRECISIONS, at("time_precision"), "time_precision")
        has_offset = (m := _ISO.fullmatch(rec["announced_at"])) is not None and m.group("offset") is not None
        if not rec["timezone"] and has_offset:
            zone = None  # the offset fixes the instant; no zone to check it against
        else:
            if not rec["timezone"]:
                rec["timezone"] = (zones or {}).get(event_id, DEFAULT_TIMEZONE)
                defaulted.append(event_id)
            zone = _zone(rec["timezone"], at("timezone"))
        instant = _instant(rec["announced_at"], precision, zone, name=name, line=line, column=columns["announced_at"])

        for column in signs:
            value = rec[column]
            if value not in SIGN_VALUES and value != "":
                raise EventsError(
                    located(
                        at(column),
                        "unknown expected sign",
                        value=value,
                        fix="write + (rise), - (fall), 0 (no effect), +/- (ambiguous) or leave it empty",
                    )
                )

        word = rec["headline"].lower()
        if word and word not in _TRUE and word not in _FALSE:
            raise EventsError(
                located(
                    at("headline"),
                    "headline must be a boolean word",
                    value=rec["headline"],
                    fix="write true or false (yes/no and 1/0 are read too; empty is false)",
                )
            )
        rec["headline"] = word in _TRUE
        if not rec["title"]:
            rec["title"] = event_id

        _check_choice(rec["confidence"], CONFIDENCES, at("confidence"), "confidence", blank_ok=True)

        url = rec["source_url"]
        if url:
            parts = urlparse(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                raise EventsError(
                    located(
                        at("source_url"),
                        "the source URL is not an http(s) address",
                        value=url,
                        fix="give the full address, starting with https://",
                    )
                )
        if rec["early_announced_at"]:
            _early_instant(rec["early_announced_at"], at("early_announced_at"))
        rec[INSTANT_COLUMN] = instant
        records.append(rec)

    frame = pd.DataFrame.from_records(records, columns=[*out_columns, INSTANT_COLUMN])
    frame["headline"] = frame["headline"].astype(bool)
    frame[INSTANT_COLUMN] = pd.to_datetime(frame[INSTANT_COLUMN], utc=True)
    return frame, tuple(defaulted)


def _warn_utc(name: str, ids: Sequence[str]) -> None:
    if not ids:
        return
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    warnings.warn(
        f"{name}: {len(ids)} event(s) have no timezone and are read in UTC (a plain date ends at 23:59:59 UTC): "
        f"{shown}; add a timezone column (the announcer's IANA zone) if they were announced elsewhere",
        DataWarning,
        stacklevel=4,
    )


@dataclass(frozen=True, eq=False)
class EventTable:
    """A validated events table.

    Attributes
    ----------
    frame
        One row per event, in the order of the file. The columns are :data:`ALL_EVENT_COLUMNS` as text
        (absent optional columns hold their defaults), the file's ``sign_<group>`` columns after ``timezone``,
        ``headline`` as bool, the scope columns ``tickers`` and ``groups`` (names separated by spaces, empty for a
        market-wide event) when the file has them, and ``announced_at_utc``: the announcement instant as a tz-aware
        UTC Timestamp (METHODS §1). Treat it as read-only.
    name
        The file name used in messages (``"<frame>"`` for a table built from a DataFrame).
    lines
        The line of the file on which each event starts (for messages).
    default_zone
        The ids of the events whose file gave no time zone: read in UTC, or in their securities' zone once
        :meth:`for_universe` has resolved it.
    scope_names
        The file's names of the ``tickers`` and ``groups`` columns (``ticker``, ``group``, ...), for messages.

    Examples
    --------
    >>> import pandas as pd
    >>> table = EventTable.from_frame(pd.DataFrame({
    ...     "event_id": ["deal"], "announced_at": ["2025-06-27"], "timezone": ["Asia/Shanghai"],
    ...     "sign_banks": ["+"]}))
    >>> table.frame.loc[0, "announced_at_utc"]
    Timestamp('2025-06-27 15:59:59+0000', tz='UTC')
    >>> table.frame.loc[0, ["title", "time_precision"]].tolist(), bool(table.frame.loc[0, "headline"])
    (['deal', 'day'], False)
    >>> table.signs.loc["deal", "banks"]
    '+'
    """

    frame: pd.DataFrame
    name: str = "<frame>"
    lines: tuple[int, ...] = ()
    default_zone: tuple[str, ...] = ()
    scope_names: tuple[str, str] = ("tickers", "groups")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, name: str = "<frame>") -> EventTable:
        """Validate and normalise a DataFrame with the columns of an events file.

        Cells may be text or already typed (bool ``headline``, Timestamps); a ``announced_at_utc`` column is
        ignored and recomputed. Messages name row ``i`` (0-based position) as line ``i + 2``.
        """
        cells = frame_cells(frame, name=name, error=EventsError)
        return cls._from_cells(cells)

    @classmethod
    def _from_cells(cls, cells: CsvCells) -> EventTable:
        table, defaulted = _validate(cells)
        header = set(cells.header)
        names = (
            next((c for c in ("ticker", "tickers") if c in header), "tickers"),
            next((c for c in ("group", "groups") if c in header), "groups"),
        )
        out = cls(frame=table, name=cells.name, lines=cells.lines, default_zone=defaulted, scope_names=names)
        scoped = set(out.firm_specific)
        _warn_utc(cells.name, [e for e in defaulted if e not in scoped])
        return out

    @property
    def ids(self) -> tuple[str, ...]:
        """The event ids, in table order."""
        return tuple(self.frame["event_id"])

    @property
    def headline_ids(self) -> tuple[str, ...]:
        """The ids of the headline events, in table order."""
        return tuple(self.frame.loc[self.frame["headline"], "event_id"])

    @property
    def instants(self) -> pd.Series:
        """The announcement instants (UTC), indexed by event id."""
        instants = self.frame[INSTANT_COLUMN].copy()
        instants.index = pd.Index(self.ids, name="event_id")
        return instants

    @property
    def signs(self) -> pd.DataFrame:
        """The expected signs: one column per group named by a ``sign_<group>`` column, indexed by event id."""
        cols = sign_columns(self.frame.columns)
        out = self.frame[list(cols)].copy()
        out.columns = pd.Index([c[len(SIGN_PREFIX) :] for c in cols], name="group")
        out.index = pd.Index(self.ids, name="event_id")
        return out

    def unknown_signs(self, groups: Iterable[str]) -> tuple[str, ...]:
        """The ``sign_<x>`` columns whose ``<x>`` is none of ``groups`` (the labels the study can test), in
        column order.

        >>> table = EventTable.from_frame(pd.DataFrame({"event_id": ["e1"], "announced_at": ["2025-01-02"],
        ...     "timezone": ["UTC"], "sign_banks": ["+"], "sign_bank": ["-"]}))
        >>> table.unknown_signs(["banks", "insurers"])
        ('sign_bank',)
        """
        known = {str(g) for g in groups}
        return tuple(c for c in sign_columns(self.frame.columns) if c[len(SIGN_PREFIX) :] not in known)

    def warn_unknown_signs(self, groups: Iterable[str]) -> None:
        """Warn (:class:`~eventstudy.errors.DataWarning`) about each ``sign_<x>`` column that names no group:
        its expected signs would never be compared with a result. The message names the column, the groups and
        the fix (the closest group name when there is one)."""
        known = sorted({str(g) for g in groups})
        for col in self.unknown_signs(known):
            name = col[len(SIGN_PREFIX) :]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.4)
            hint = f"rename it to {SIGN_PREFIX}{close[0]} if that group is meant, or " if close else ""
            warnings.warn(
                f"{self.name}: column {col!r} names no group of the study (groups: {', '.join(known)}); its "
                f"expected signs are never compared with a result; fix: {hint}rename it to {SIGN_PREFIX}<group> "
                "with one of those groups, or remove the column",
                DataWarning,
                stacklevel=3,
            )

    @property
    def firm_specific(self) -> tuple[str, ...]:
        """The ids of the events limited to some securities (by ``ticker``/``tickers`` or ``group``)."""
        return tuple(e for e, (t, g) in zip(self.ids, self._scopes(), strict=True) if t or g)

    def _scopes(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """``(tickers, groups)`` of each event, in table order; both empty for a market-wide event."""
        n = len(self.frame)
        tick = self.frame["tickers"] if "tickers" in self.frame.columns else pd.Series([""] * n)
        grp = self.frame["groups"] if "groups" in self.frame.columns else pd.Series([""] * n)
        return [(tuple(str(t).split()), tuple(str(g).split())) for t, g in zip(tick, grp, strict=True)]

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        firm = len(self.firm_specific)
        extra = f", {firm} firm-specific" if firm else ""
        return f"EventTable({self.name!r}, {len(self)} events, {len(self.headline_ids)} headline{extra})"

    def with_early_release(self) -> EventTable:
        """The table with each ``early_announced_at`` (an earlier release of the news) as the announcement.

        Events without one are unchanged. The early time is read as an ``approx`` instant; this is the study's
        early-day-0 robustness variant (METHODS §1).
        """
        frame = self.frame.drop(columns=[INSTANT_COLUMN]).copy()
        early = frame["early_announced_at"].astype(str).str.strip() != ""
        frame.loc[early, "announced_at"] = [
            _early_instant(text, f"{self.name}:{event_id}:early_announced_at").tz_convert(zone or "UTC").isoformat()
            for text, zone, event_id in frame.loc[early, ["early_announced_at", "timezone", "event_id"]].itertuples(
                index=False
            )
        ]
        frame.loc[early, "time_precision"] = "approx"
        frame.loc[early, "early_announced_at"] = ""
        table, _ = _validate(frame_cells(frame, name=self.name, error=EventsError))
        return replace(self, frame=table)

    def _where(self, position: int, column: str) -> str:
        line = self.lines[position] if position < len(self.lines) else position + 2
        return f"{self.name}:{line}:{column}"

    def check_scope(self, securities: pd.DataFrame, universe: pd.DataFrame | None = None) -> None:
        """Check that every ticker and group an event names is among the studied ``securities``.

        ``universe`` (the whole universe) lets the message tell a ticker that is not in the universe from one
        whose group the study leaves out.

        Raises
        ------
        EventsError
            Naming the file, line and column, the value and the fix.
        """
        studied = set(securities["ticker"])
        studied_groups = set(securities["group"])
        known = universe if universe is not None else securities
        group_of = dict(zip(known["ticker"], known["group"], strict=False))
        all_groups = sorted(set(known["group"]))
        for position, (tickers, groups) in enumerate(self._scopes()):
            for ticker in tickers:
                if ticker in studied:
                    continue
                if ticker in group_of:
                    problem = f"the ticker is in group {group_of[ticker]!r}, which the study leaves out"
                    fix = f"add {group_of[ticker]!r} to the study's groups, or drop the event"
                else:
                    close = difflib.get_close_matches(ticker, sorted(group_of), n=1)
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    problem = "the ticker is not in the universe"
                    fix = f"{hint}add it to the universe file, or correct the ticker"
                raise EventsError(located(self._where(position, self.scope_names[0]), problem, value=ticker, fix=fix))
            for group in groups:
                if group in studied_groups:
                    continue
                known_text = ", ".join(all_groups)
                problem = (
                    "the group is not studied" if group in all_groups else "the group is not a group of the universe"
                )
                raise EventsError(
                    located(
                        self._where(position, self.scope_names[1]),
                        problem,
                        value=group,
                        fix=f"use one of the studied groups ({', '.join(sorted(studied_groups))}); the universe "
                        f"has {known_text}",
                    )
                )

    def for_universe(self, securities: pd.DataFrame, zone_of_exchange: Mapping[str, str]) -> EventTable:
        """The table with the time zone of each firm-specific event that had none taken from its securities.

        An event limited to securities whose exchanges share one time zone is read in that zone (an earnings date
        of a Tokyo firm is a Tokyo date). Any other event without a time zone stays in UTC, with a warning.
        """
        if not self.default_zone:
            return self
        exchange_of = dict(zip(securities["ticker"], securities["exchange"], strict=False))
        zones: dict[str, str] = {}
        utc: list[str] = []
        for event_id, (tickers, groups) in zip(self.ids, self._scopes(), strict=True):
            if event_id not in self.default_zone or not (tickers or groups):
                continue
            members = set(tickers) | set(securities.loc[securities["group"].isin(groups), "ticker"])
            found = {zone_of_exchange.get(exchange_of.get(t, ""), "") for t in members}
            if len(found) == 1 and "" not in found:
                zones[event_id] = found.pop()
            else:
                utc.append(event_id)
        _warn_utc(self.name, utc)
        if not zones:
            return self
        frame = self.frame.copy()
        for position, event_id in enumerate(self.ids):
            if event_id in zones:
                frame.loc[position, "timezone"] = zones[event_id]
                precision = frame.loc[position, "time_precision"]
                line = self.lines[position] if position < len(self.lines) else position + 2
                frame.loc[position, INSTANT_COLUMN] = _instant(
                    str(frame.loc[position, "announced_at"]),
                    str(precision),
                    _zone(zones[event_id], self._where(position, "timezone")),
                    name=self.name,
                    line=line,
                )
        return replace(self, frame=frame)

    def firm_events(self, securities: pd.DataFrame) -> pd.DataFrame:
        """The firm-events: each event with the securities it concerns (every security for a market-wide event,
        those it names for a firm-specific one), in event order and then securities order.

        Returns
        -------
        pandas.DataFrame
            ``event_id`` followed by the columns of ``securities``.

        Examples
        --------
        >>> import pandas as pd
        >>> secs = pd.DataFrame({"ticker": ["A", "B", "C"], "group": ["x", "x", "y"]})
        >>> ev = EventTable.from_frame(pd.DataFrame({
        ...     "event_id": ["all", "b", "ys"], "announced_at": ["2025-01-02"] * 3, "timezone": ["UTC"] * 3,
        ...     "tickers": ["", "B", ""], "groups": ["", "", "y"]}))
        >>> ev.firm_events(secs)[["event_id", "ticker"]].values.tolist()
        [['all', 'A'], ['all', 'B'], ['all', 'C'], ['b', 'B'], ['ys', 'C']]
        """
        ids = self.frame[["event_id"]]
        if not self.firm_specific:
            return ids.merge(securities, how="cross")
        secs = securities.reset_index(drop=True)
        parts = []
        for event_id, (tickers, groups) in zip(self.ids, self._scopes(), strict=True):
            if tickers or groups:
                rows = secs[secs["ticker"].isin(tickers) | secs["group"].isin(groups)]
            else:
                rows = secs
            ids_col = pd.DataFrame({"event_id": [event_id] * len(rows)})
            parts.append(pd.concat([ids_col, rows.reset_index(drop=True)], axis=1))
        return pd.concat(parts, ignore_index=True)

    def subset(self, ids: Iterable[str]) -> EventTable:
        """The table restricted to ``ids``, in table order.

        Raises
        ------
        EventsError
            If an id is not in the table.
        """
        if isinstance(ids, str):
            ids = [ids]
        wanted = list(dict.fromkeys(ids))
        known = set(self.ids)
        for event_id in wanted:
            if event_id not in known:
                close = difflib.get_close_matches(str(event_id), list(self.ids), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise EventsError(
                    located(
                        f"{self.name}:event_id",
                        "unknown event id",
                        value=event_id,
                        fix=f"{hint}use one of the {len(known)} ids of the events table",
                    )
                )
        mask = self.frame["event_id"].isin(wanted).to_numpy()
        lines = tuple(line for line, keep in zip(self.lines, mask, strict=False) if keep)
        return replace(
            self,
            frame=self.frame.loc[mask].reset_index(drop=True),
            lines=lines,
            default_zone=tuple(e for e in self.default_zone if e in wanted),
        )


def read_events(path: str | os.PathLike[str]) -> EventTable:
    """Read and validate an events CSV file.

    Parameters
    ----------
    path
        The events file: UTF-8 (a byte-order mark is fine), ``,`` or ``;`` delimited, LF or CRLF line ends,
        with the columns :data:`EVENT_COLUMNS` and any of :data:`OPTIONAL_EVENT_COLUMNS`, ``sign_<group>`` and
        :data:`SCOPE_COLUMNS`.

    Returns
    -------
    EventTable
        The validated, normalised table; its ``name`` is the file name.

    Raises
    ------
    EventsError
        On the first problem found, with ``FILE:LINE:COLUMN``, the value and the fix in its message.
    """
    return EventTable._from_cells(read_csv_cells(path, error=EventsError))
