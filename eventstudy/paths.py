"""Names that become paths or keys: one sanitising function, and the patterns of tickers, ids and groups.

A study's name, an event id or a ticker comes from a file a user wrote (or a spreadsheet exported). Before any of
them becomes part of a path, it passes :func:`safe_name`, which refuses path separators, ``..``, absolute paths,
drive letters, control characters and names a file system reserves; it never rewrites a name silently. The output
folder is resolved once, by :func:`resolve_output`, and every output file is placed by :func:`inside`.

Tickers, event ids and group labels also have strict patterns (:data:`TICKER_PATTERN`, :data:`ID_PATTERN`), so they
cannot start a spreadsheet formula and cannot collide with names the toolkit reserves (``pooled:<direction>``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import ConfigError, EventStudyError, located

__all__ = [
    "TICKER_PATTERN",
    "ID_PATTERN",
    "RESERVED_PREFIX",
    "safe_name",
    "check_ticker",
    "check_identifier",
    "resolve_output",
    "inside",
    "not_csv_text",
]

#: A ticker as price sources spell it: letters, digits and ``. - _ = ^ &``, starting with a letter, a digit or
#: ``^`` (an index), at most 32 characters, no ``..``. Examples: ``MP``, ``LYC.AX``, ``600111.SS``, ``^TNX``,
#: ``BRK-B``, ``GC=F``.
TICKER_PATTERN = re.compile(r"[A-Za-z0-9^][A-Za-z0-9.\-_=^&]{0,31}", re.ASCII)

#: An event id or a group label: letters, digits and ``_ - .``, starting with a letter or a digit, at most 64
#: characters. It cannot hold ``:``, so it never collides with a pooled set's name (``pooled:escalation``), and
#: it cannot start a spreadsheet formula.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}", re.ASCII)

#: Prefix of the names the toolkit gives to pooled sets of events.
RESERVED_PREFIX = "pooled:"

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)
_MAX_NAME = 100


def _control(text: str) -> str | None:
    """The first character of ``text`` that does not print as itself: control, format (RTL override), surrogate,
    private-use or unassigned characters, line and paragraph separators, and spaces other than ' '."""
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] == "C" or cat in ("Zl", "Zp") or (cat == "Zs" and ch != " "):
            return ch
    return None


def safe_name(text: object, *, where: str = "name", error: type[EventStudyError] = ConfigError) -> str:
    """``text`` if it is safe as one file or folder name, else an error naming ``where``, the value and the fix.

    Refused: anything but a non-empty string; a path separator (``/`` or ``\\``) or a drive (``C:``); ``.``, ``..``
    or a name starting with ``.``; control and invisible format characters (newline, NUL, RTL override, ...);
    surrounding spaces; names Windows reserves (``CON``, ``NUL``, ``COM1``, ...); more than 100 characters.

    >>> safe_name("bank_mergers_2024")
    'bank_mergers_2024'
    >>> try:
    ...     safe_name("../../x", where="study.toml:name")
    ... except ConfigError as exc:
    ...     print(str(exc).split(";")[0])
    study.toml:name: not usable as a file name: it holds a path separator (got '../../x')
    """
    fix = "use letters, digits, '_', '-' and '.' only, e.g. bank_mergers_2024"

    def refuse(problem: str) -> EventStudyError:
        return error(located(where, f"not usable as a file name: {problem}", value=text, fix=fix))

    if not isinstance(text, str):
        raise error(located(where, "must be a text name", value=text, fix=fix))
    if not text or not text.strip():
        raise refuse("it is empty")
    bad = _control(text)
    if bad is not None:
        raise refuse(f"it holds the control or invisible character U+{ord(bad):04X}")
    if "/" in text or "\\" in text or os.sep in text or (os.altsep and os.altsep in text):
        raise refuse("it holds a path separator")
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive:
        raise refuse("it is an absolute path")
    if ":" in text:
        raise refuse("it holds ':' (a drive or stream separator)")
    if text in (".", "..") or ".." in text:
        raise refuse("it holds '..'")
    if text.startswith("."):
        raise refuse("it starts with '.' (a hidden file)")
    if text != text.strip():
        raise refuse("it starts or ends with a space")
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        raise refuse("it is a name Windows reserves for a device")
    if len(text) > _MAX_NAME:
        raise refuse(f"it is longer than {_MAX_NAME} characters")
    return text


def check_ticker(ticker: object, *, where: str = "ticker", error: type[EventStudyError] = ConfigError) -> str:
    """``ticker`` if it matches :data:`TICKER_PATTERN`, else an error naming ``where``, the value and the fix.

    >>> check_ticker("LYC.AX")
    'LYC.AX'
    """
    if not isinstance(ticker, str) or not TICKER_PATTERN.fullmatch(ticker) or ".." in ticker:
        raise error(
            located(
                where,
                "not a valid ticker (letters, digits and . - _ = ^ & only, starting with a letter, digit or ^, "
                "at most 32 characters)",
                value=ticker,
                fix="write the ticker as the price source spells it, e.g. MP, LYC.AX, 600111.SS, ^GSPC",
            )
        )
    return ticker


def check_identifier(value: object, *, what: str, where: str, error: type[EventStudyError] = ConfigError) -> str:
    """``value`` if it matches :data:`ID_PATTERN` (an event id, a group label), else an error naming ``where``.

    >>> check_identifier("deal_signed", what="event_id", where="events.csv:2:event_id")
    'deal_signed'
    """
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        extra = f" (names starting with {RESERVED_PREFIX!r} are reserved)" if str(value).startswith("pooled") else ""
        raise error(
            located(
                where,
                f"not a valid {what}: letters, digits, '_', '-' and '.' only, starting with a letter or a digit, "
                f"at most 64 characters{extra}",
                value=value,
                fix=f"rename it, e.g. {_suggest(str(value))}",
            )
        )
    return value


def _suggest(value: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_.\-]+", "_", value).strip("_.-")[:64]
    return text or "event_1"


def resolve_output(path: str | os.PathLike[str] | None, *, where: str = "--out") -> Path:
    """The output folder as an absolute path, resolved once (symbolic links followed).

    An empty path is refused: it would mean the current folder, where the study's own files are.
    """
    fix = "give a folder for the outputs, e.g. --out reports/my_study"
    if path is None or not str(path).strip():
        raise ConfigError(located(where, "the output folder is empty", value=str(path or ""), fix=fix))
    text = os.fspath(path)
    bad = _control(text)
    if bad is not None:
        raise ConfigError(
            located(where, f"the output folder holds the control character U+{ord(bad):04X}", value=text, fix=fix)
        )
    out = Path(text).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(located(where, "the output path is a file, not a folder", value=text, fix=fix))
    if out == Path(out.anchor):
        raise ConfigError(located(where, "the output folder is the file system's root", value=text, fix=fix))
    return out


def inside(folder: Path, name: str, *, where: str = "output file") -> Path:
    """``folder / name`` after :func:`safe_name`, checked to lie directly inside ``folder``."""
    safe_name(name, where=where)
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise ConfigError(located(where, f"would be written outside {folder}", value=name, fix="use a plain file name"))
    return path


#: Leading bytes of files that are not CSV text, and what each is.
_NOT_CSV: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file, not CSV text", "save as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls), not CSV text", "save as CSV UTF-8"),
    (b"\xff\xfe", "UTF-16 text (Excel's 'Unicode Text'), not UTF-8", "save as CSV UTF-8"),
    (b"\xfe\xff", "UTF-16 text, not UTF-8", "save as CSV UTF-8"),
    (b"%PDF", "a PDF document, not CSV text", "export the table as CSV UTF-8"),
)


def not_csv_text(head: bytes) -> tuple[str, str] | None:
    """``(what the file is, the fix)`` when the first bytes of a file show it is not CSV text (a spreadsheet
    workbook, UTF-16, a PDF), else None; for one clear line instead of a header of binary garbage.

    >>> not_csv_text(bytes([0x50, 0x4B, 3, 4, 0x14, 0]))[0]
    'an Excel workbook (.xlsx) or another zip file, not CSV text'
    >>> not_csv_text(b"date,close") is None
    True
    """
    for magic, what, fix in _NOT_CSV:
        if head.startswith(magic):
            return what, f"open it in the spreadsheet and {fix} (comma-separated, dates as YYYY-MM-DD)"
    return None
