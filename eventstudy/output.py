"""Writing a run's outputs: into a fresh folder beside the target, moved into place at the end, under a lock.

A run never writes into its output folder directly. :class:`OutputFolder` takes an exclusive lock beside the
target (``.<name>.lock``), gives the run a fresh temporary folder beside it (``.<name>.tmp-XXXX``), and on
:meth:`OutputFolder.commit` swaps it in: the previous outputs stay untouched until then, and a run that fails, is
interrupted or killed leaves them as they were. A second run into the same folder while the first holds the lock
stops at once with an :class:`OutputBusyError`.

The lock is an ``fcntl`` lock on ``.<name>.lock``, a file removed when the run ends. The system releases the lock
when the process dies (``kill -9`` included: the file stays, unlocked, and the next run takes it). Leftovers of a
killed run (a temporary folder, or the previous outputs set aside during the swap) are cleaned up or restored by
the next run, under the lock.

A target that exists must be an earlier run's output folder (it holds the marker file ``.eventstudy-output``) or
empty: a run never replaces a folder of other files, such as the study's own folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import pandas as pd

from .errors import ConfigError, EventStudyError, located

__all__ = ["OutputFolder", "OutputBusyError", "MARKER", "neutralise_cells", "write_csv", "FORMULA_TRIGGERS"]

#: The file that marks a folder as a run's output folder (a folder a later run may replace).
MARKER = ".eventstudy-output"


class OutputBusyError(EventStudyError):
    """Another run holds the lock on the output folder."""


def _lock(path: Path, fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


class OutputFolder:
    """The output folder of one run: lock, temporary folder, atomic swap.

    Parameters
    ----------
    target
        The output folder, already resolved (see :func:`eventstudy.paths.resolve_output`).
    where
        How messages name the folder's setting (``--out``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with OutputFolder(target) as out:
    ...     _ = (out.path / "a.csv").write_text("x\\n")
    ...     _ = out.commit()
    >>> sorted(p.name for p in target.iterdir())
    ['.eventstudy-output', 'a.csv']
    """

    def __init__(self, target: Path, *, where: str = "--out") -> None:
        self.target = Path(target)
        self.where = where
        self.parent = self.target.parent
        self._fd: int | None = None
        self._tmp: Path | None = None
        self.committed = False

    # ------------------------------------------------------------------ lock
    @property
    def lock_path(self) -> Path:
        return self.parent / f".{self.target.name}.lock"

    @property
    def path(self) -> Path:
        """The temporary folder the run writes into."""
        if self._tmp is None:
            raise RuntimeError("OutputFolder used outside its with-block")
        return self._tmp

    def __enter__(self) -> OutputFolder:
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                located(
                    self.where,
                    f"cannot create the folder {self.parent} ({exc.strerror})",
                    fix="choose a folder you can write to",
                )
            ) from None
        self._check_target()
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _lock(self.lock_path, fd):
                os.close(fd)
                raise OutputBusyError(
                    located(
                        self.where,
                        f"another run is writing to {self.target} (its lock {self.lock_path.name} is held)",
                        fix="wait for that run to finish, or choose another output folder",
                    )
                )
            # the holder before us removes the lock file as it ends: lock again if ours is no longer the file
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.lock_path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._recover()
            self._check_target()
            self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.parent))
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self._tmp is not None and self._tmp.exists():
                shutil.rmtree(self._tmp, ignore_errors=True)
        finally:
            self._release()

    def _release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()  # while still holding it, so nothing is left beside the outputs
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    # ------------------------------------------------------------------ checks and recovery
    def _check_target(self) -> None:
        t = self.target
        if t.exists() and not t.is_dir():
            raise ConfigError(
                located(self.where, "the output path is a file, not a folder", value=str(t), fix="choose a folder")
            )
        if t.is_dir() and not (t / MARKER).is_file() and any(t.iterdir()):
            raise ConfigError(
                located(
                    self.where,
                    f"the folder {t} holds other files and is not an earlier run's output folder; a run replaces "
                    "its output folder as a whole",
                    value=str(t),
                    fix="choose a new or empty folder for the outputs (e.g. reports/<study name>)",
                )
            )

    def _leftovers(self, kind: str) -> list[Path]:
        return sorted(self.parent.glob(f".{self.target.name}.{kind}-*"))

    def _recover(self) -> None:
        """Under the lock: restore outputs a killed run set aside during its swap, drop its temporary folders."""
        old = self._leftovers("old")
        if old and not self.target.exists():
            os.replace(old[-1], self.target)
            old = old[:-1]
        for p in [*old, *self._leftovers("tmp")]:
            shutil.rmtree(p, ignore_errors=True)

    # ------------------------------------------------------------------ swap
    def commit(self) -> Path:
        """Move the temporary folder into place (the previous outputs are removed only after that)."""
        tmp = self.path
        (tmp / MARKER).write_text("outputs of an eventstudy run; the next run into this folder replaces it\n")
        aside: Path | None = None
        if self.target.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.parent))
            aside.rmdir()  # a fresh unique name; the previous outputs move there in one rename
            os.replace(self.target, aside)
        os.replace(tmp, self.target)
        self._tmp = None
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        self.committed = True
        return self.target


# ----------------------------------------------------------------------------------------------------------------
# CSV cells a spreadsheet would run as formulas
# ----------------------------------------------------------------------------------------------------------------

#: A text cell starting with one of these is read as a formula (or a DDE call) by spreadsheets (OWASP, CSV
#: injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Text cells that start with a trigger but are codes of the toolkit, not formulas: the expected signs of events.
_CODES = frozenset({"+", "-", "+/-"})


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _neutral(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and value not in _CODES and not _is_number(value):
        return "'" + value
    return value


def neutralise_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula prefixed by ``'`` (OWASP).

    Only text cells change: numeric columns (negative numbers included) and text that is a plain number
    (``"-0.5"``) or a sign code (``+``, ``-``, ``+/-``) stay as they are. The frame given is not modified.

    >>> neutralise_cells(pd.DataFrame({"title": ["=HYPERLINK(1)", "Deal"], "car": [-0.1, 0.2]}))
                title  car
    0  '=HYPERLINK(1) -0.1
    1            Deal  0.2
    """
    out = None
    for col in frame.columns:
        series = frame[col]
        if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue
        text = series.map(_neutral)
        if not text.equals(series):
            out = frame.copy() if out is None else out
            out[col] = text
    header = [_neutral(c) if isinstance(c, str) else c for c in frame.columns]
    if header != list(frame.columns):
        out = (frame.copy() if out is None else out).set_axis(header, axis=1)
    return frame if out is None else out


def write_csv(frame: pd.DataFrame, path: Path, *, float_format: str = "%.10g") -> Path:
    """Write ``frame`` as CSV (no index), its text cells neutralised by :func:`neutralise_cells`."""
    neutralise_cells(frame).to_csv(path, index=False, float_format=float_format)
    return path
