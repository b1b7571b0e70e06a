"""A separate process that writes to a price cache, for the crash and concurrency tests of test_cache.py.

Usage::

    python cache_writer.py kill PATH ROWS
        write ROWS rows (tickers KILLED0.., 5000 rows each), print "ready" inside the open transaction and
        sleep there until killed;
    python cache_writer.py write PATH PREFIX N ROWS
        N writes of ROWS rows (tickers PREFIX0..), then the shared ticker SHARED; on a CacheError, print it
        to stderr and exit 3;
    python cache_writer.py hold PATH
        open the file with DuckDB, print "ready" and sleep (holding the file lock).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd


def frame(ticker: str, rows: int, level: float) -> pd.DataFrame:
    dates = pd.bdate_range("1990-01-01", periods=rows)
    close = level + np.arange(rows, dtype="float64") / 1000.0
    return pd.DataFrame(
        {
            "ticker": ticker,
            "date": dates.astype("datetime64[ns]"),
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "volume": np.full(rows, 100.0),
        }
    )


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    if mode == "hold":
        import duckdb

        con = duckdb.connect(path)
        print("ready", flush=True)
        time.sleep(120)
        con.close()
        return 0

    from eventstudy.data import PriceCache
    from eventstudy.errors import CacheError

    if mode == "kill":

        class PausingCache(PriceCache):
            def _upsert(self, con, *, source, fetched_at):  # type: ignore[no-untyped-def]
                super()._upsert(con, source=source, fetched_at=fetched_at)
                print("ready", flush=True)  # the rows are inserted, the transaction is still open
                time.sleep(120)

        total, per = int(argv[2]), 5000
        big = pd.concat([frame(f"KILLED{i}", per, 1.0) for i in range(max(1, total // per))], ignore_index=True)
        PausingCache(path).write(big, source="killed")
        return 0

    if mode == "write":
        prefix, n, rows = argv[2], int(argv[3]), int(argv[4])
        try:
            cache = PriceCache(path, lock_timeout=20.0)
            for i in range(n):
                cache.write(frame(f"{prefix}{i}", rows, float(i + 1)), source=prefix)
            cache.write(frame("SHARED", rows, 100.0 if prefix == "P" else 200.0), source=prefix)
        except CacheError as exc:
            print(str(exc), file=sys.stderr, flush=True)
            return 3
        print("done", flush=True)
        return 0

    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
