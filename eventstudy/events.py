"""The events table: schema, validation and normalisation into an :class:`EventTable`.

An events file is a CSV table with one row per announcement. Each row gives when the news became public
(``announced_at`` with a ``time_precision`` and the announcer's IANA ``timezone``), the expected sign of the
reaction of each group of securities, and whether the event is a headline event of the report.

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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .errors import EventsError, EventStudyError, located
from .paths import check_identifier

__all__ = [
    "EVENT_COLUMNS",
    "OPTIONAL_EVENT_COLUMNS",
    "ALL_EVENT_COLUMNS",
    "SIGN_COLUMNS",
    "SIGN_VALUES",
    "TIME_PRECISIONS",
    "DIRECTIONS",
    "EventTable",
    "read_events",
]

#: The expected sign of the reaction of each group: rare-earth miners outside China, Chinese rare-earth and
#: magnet makers, defense primes.
SIGN_COLUMNS: tuple[str, ...] = ("sign_miners_ex_china", "sign_china_rare_earths", "sign_defense")

#: Columns every events file must have.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "title",
    "announced_at",
    "time_precision",
    "timezone",
    *SIGN_COLUMNS,
    "headline",
)

#: Columns an events file may have; when absent they are added as empty text.
OPTIONAL_EVENT_COLUMNS: tuple[str, ...] = (
    "description",
    "announcer",
    "category",
    "direction",
    "confidence",
    "confounders",
    "source_url",
    "research_id",
    "time_source",
    "early_announced_at",
)

#: Every column of a normalised events frame (before ``announced_at_utc``), in file order.
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
    *SIGN_COLUMNS,
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

SIGN_VALUES: tuple[str, ...] = ("+", "-", "0", "+/-")
TIME_PRECISIONS: tuple[str, ...] = ("exact", "approx", "day")
DIRECTIONS: tuple[str, ...] = ("escalation", "deescalation", "industrial_policy", "allied_framework")
CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})

#: ISO-8601 extended form: a date, optionally a time (T or space) and a UTC offset or Z.
_ISO = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(?P<offset>Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.ASCII,
)

_DAY_END = time(23, 59, 59)
_YEARS = (1900, 2200)  # announcement years accepted (time zone rules are reliable, no calendar overflow)


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


def read_csv_cells(path: str | Path, *, error: type[EventStudyError] = EventsError) -> CsvCells:
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


def _instant(text: str, precision: str, zone: ZoneInfo, *, name: str, line: int) -> pd.Timestamp:
    """The UTC instant of one ``announced_at`` cell (METHODS §1)."""
    where = f"{name}:{line}:announced_at"
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


def _validate(cells: CsvCells) -> pd.DataFrame:
    name = cells.name
    check_header(
        cells,
        required=EVENT_COLUMNS,
        optional=OPTIONAL_EVENT_COLUMNS,
        derived=(INSTANT_COLUMN,),
        error=EventsError,
        what="events",
    )
    index = {c: i for i, c in enumerate(cells.header)}

    def get(row: tuple[str, ...], column: str) -> str:
        i = index.get(column)
        return row[i] if i is not None else ""

    records: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    for row, line in zip(cells.rows, cells.lines, strict=True):

        def at(column: str, line: int = line) -> str:
            return f"{name}:{line}:{column}"

        rec: dict[str, Any] = {c: get(row, c) for c in ALL_EVENT_COLUMNS}

        event_id = rec["event_id"]
        if not event_id:
            raise EventsError(
                located(at("event_id"), "the event_id is empty", fix="give every event a short unique id")
            )
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

        precision = rec["time_precision"]
        _check_choice(precision, TIME_PRECISIONS, at("time_precision"), "time_precision")
        zone = _zone(rec["timezone"], at("timezone"))
        instant = _instant(rec["announced_at"], precision, zone, name=name, line=line)

        for column in SIGN_COLUMNS:
            value = rec[column]
            if value not in SIGN_VALUES:
                raise EventsError(
                    located(
                        at(column),
                        "unknown expected sign",
                        value=value,
                        fix="write + (rise), - (fall), 0 (no effect) or +/- (ambiguous)",
                    )
                )

        word = rec["headline"].lower()
        if word not in _TRUE and word not in _FALSE:
            raise EventsError(
                located(
                    at("headline"),
                    "headline must be a boolean word",
                    value=rec["headline"],
                    fix="write true or false (yes/no and 1/0 are read too)",
                )
            )
        rec["headline"] = word in _TRUE

        _check_choice(rec["direction"], DIRECTIONS, at("direction"), "direction", blank_ok=True)
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

    frame = pd.DataFrame.from_records(records, columns=[*ALL_EVENT_COLUMNS, INSTANT_COLUMN])
    frame["headline"] = frame["headline"].astype(bool)
    frame[INSTANT_COLUMN] = pd.to_datetime(frame[INSTANT_COLUMN], utc=True)
    return frame


@dataclass(frozen=True, eq=False)
class EventTable:
    """A validated events table.

    Attributes
    ----------
    frame
        One row per event, in the order of the file. The columns are :data:`ALL_EVENT_COLUMNS` as text
        (absent optional columns are empty text), except ``headline`` (bool), plus ``announced_at_utc``: the
        announcement instant as a tz-aware UTC Timestamp (METHODS §1). Treat it as read-only.
    name
        The file name used in messages (``"<frame>"`` for a table built from a DataFrame).

    Examples
    --------
    >>> import pandas as pd
    >>> table = EventTable.from_frame(pd.DataFrame({
    ...     "event_id": ["deal"], "title": ["Deal formalised"], "announced_at": ["2025-06-27"],
    ...     "time_precision": ["day"], "timezone": ["Asia/Shanghai"], "sign_miners_ex_china": ["-"],
    ...     "sign_china_rare_earths": ["+"], "sign_defense": ["+"], "headline": ["true"]}))
    >>> table.frame.loc[0, "announced_at_utc"]
    Timestamp('2025-06-27 15:59:59+0000', tz='UTC')
    """

    frame: pd.DataFrame
    name: str = "<frame>"

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, name: str = "<frame>") -> EventTable:
        """Validate and normalise a DataFrame with the columns of an events file.

        Cells may be text or already typed (bool ``headline``, Timestamps); a ``announced_at_utc`` column is
        ignored and recomputed. Messages name row ``i`` (0-based position) as line ``i + 2``.
        """
        return cls(frame=_validate(frame_cells(frame, name=name, error=EventsError)), name=name)

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

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"EventTable({self.name!r}, {len(self)} events, {len(self.headline_ids)} headline)"

    def with_early_release(self) -> EventTable:
        """The table with each ``early_announced_at`` (an earlier release of the news) as the announcement.

        Events without one are unchanged. The early time is read as an ``approx`` instant; this is the study's
        early-day-0 robustness variant (METHODS §1).
        """
        frame = self.frame.drop(columns=[INSTANT_COLUMN]).copy()
        early = frame["early_announced_at"].astype(str).str.strip() != ""
        frame.loc[early, "announced_at"] = [
            _early_instant(text, f"{self.name}:{event_id}:early_announced_at").tz_convert(zone).isoformat()
            for text, zone, event_id in frame.loc[early, ["early_announced_at", "timezone", "event_id"]].itertuples(
                index=False
            )
        ]
        frame.loc[early, "time_precision"] = "approx"
        frame.loc[early, "early_announced_at"] = ""
        return EventTable(frame=_validate(frame_cells(frame, name=self.name, error=EventsError)), name=self.name)

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
        mask = self.frame["event_id"].isin(wanted)
        return EventTable(frame=self.frame.loc[mask].reset_index(drop=True), name=self.name)


def read_events(path: str | Path) -> EventTable:
    """Read and validate an events CSV file.

    Parameters
    ----------
    path
        The events file: UTF-8 (a byte-order mark is fine), ``,`` or ``;`` delimited, LF or CRLF line ends,
        with the columns :data:`EVENT_COLUMNS` and any of :data:`OPTIONAL_EVENT_COLUMNS`.

    Returns
    -------
    EventTable
        The validated, normalised table; its ``name`` is the file name.

    Raises
    ------
    EventsError
        On the first problem found, with ``FILE:LINE:COLUMN``, the value and the fix in its message.
    """
    cells = read_csv_cells(path, error=EventsError)
    return EventTable(frame=_validate(cells), name=cells.name)
