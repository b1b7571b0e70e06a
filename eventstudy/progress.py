"""Progress of a long command, stage by stage, for a person at a terminal or for a log.

:class:`Stages` takes one message per stage (``stages("estimating the market model")``): each message ends the
stage before it. On a terminal it shows a live display (a spinner, the stage, its sub-step counts as the messages
give them, and the elapsed time of each finished stage); without one it writes one plain line per finished stage
with its duration, and a line every ``heartbeat`` seconds while a stage runs, so a log is never silent for long.
"""

from __future__ import annotations

import threading
import time
from typing import Any, TextIO

__all__ = ["Stages"]


class Stages:
    """A context manager that reports stages; call the instance with each stage's message.

    Parameters
    ----------
    stream
        Where plain lines go (stderr in the command line).
    live
        A terminal display (rich) instead of plain lines.
    heartbeat
        Seconds between "still running" lines of a long stage in plain mode.
    """

    def __init__(self, stream: TextIO, *, live: bool, heartbeat: float = 5.0, console: Any = None) -> None:
        self.stream = stream
        self.live = live
        self.heartbeat = heartbeat
        self.console = console
        self.times: list[tuple[str, float]] = []
        self._name: str | None = None
        self._t0 = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Stages:
        if self.live:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            console = self.console or Console(file=self.stream)
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            self._progress.__enter__()
        else:
            self._thread = threading.Thread(target=self._beat, name="progress-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __call__(self, message: str) -> None:
        """Start the stage ``message`` (ending the current one)."""
        with self._lock:
            self._end()
            self._name = " ".join(str(message).split())
            self._t0 = time.perf_counter()
            if self._progress is not None:
                self._task = self._progress.add_task(self._name, total=None)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if exc[0] is None:
                self._end()
            self._name = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def _end(self) -> None:
        if self._name is None:
            return
        seconds = time.perf_counter() - self._t0
        self.times.append((self._name, seconds))
        if self._progress is not None:
            self._progress.update(self._task, total=1, completed=1)
        else:
            self.stream.write(f"{self._name} ({seconds:.1f} s)\n")
            self.stream.flush()
        self._name = None

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            with self._lock:
                if self._name is None:
                    continue
                seconds = time.perf_counter() - self._t0
                if seconds >= self.heartbeat:
                    self.stream.write(f"{self._name}: still running ({seconds:.0f} s)\n")
                    self.stream.flush()
