"""Build the study's price snapshot from a folder of price files and its MANIFEST.csv.

Writes ``data/prices.parquet`` (every row of every file listed in the manifest, read and validated as
``eventstudy run --prices-dir`` reads them, with each row's source, adjustment and the snapshot date),
``data/prices.parquet.sha256`` (the checksum the loader verifies) and ``data/MANIFEST.csv`` (a copy of the
folder's manifest)::

    python scripts/build_snapshot.py [--prices-dir ../shared/data/prices] [--out data/prices.parquet]
                                     [--snapshot-date 2026-11-28]

The same input gives the same bytes, so re-running it on unchanged files leaves the checksum unchanged.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd

from eventstudy.data.snapshot import SnapshotSource, write_snapshot
from eventstudy.data.sources import FileSource

ROOT = Path(__file__).resolve().parents[1]
COLLECTED = "2026-11-28"  # the date the series were collected (the raw files' PROVENANCE.md)


def build(prices_dir: Path, out: Path, snapshot_date: str) -> Path:
    source = FileSource(prices_dir)
    manifest = source.manifest()
    if manifest.empty:
        raise SystemExit(f"error: {prices_dir}/MANIFEST.csv not found; fix: point --prices-dir at the price folder")
    listed = set(manifest["ticker"])
    on_disk = {p.name[: -len(".csv")] for p in prices_dir.glob("*.csv") if p.name != "MANIFEST.csv"}
    if listed != on_disk:
        raise SystemExit(
            f"error: {prices_dir}/MANIFEST.csv and the folder disagree: only in the manifest "
            f"{sorted(listed - on_disk)}, only on disk {sorted(on_disk - listed)}; fix: list every file once"
        )
    result = source.fetch(manifest["ticker"].tolist())
    if result.failures:
        first = next(iter(result.failures.items()))
        raise SystemExit(f"error: {first[0]}: {first[1]}")
    info = manifest.set_index("ticker")[["source", "adjustment"]]
    prices = result.prices.join(info, on="ticker")
    path = write_snapshot(prices, out, snapshot_date=snapshot_date)
    shutil.copyfile(prices_dir / "MANIFEST.csv", out.parent / "MANIFEST.csv")
    check = SnapshotSource(path).fetch(manifest["ticker"].tolist()).prices
    if not check.equals(result.prices):
        raise SystemExit(f"error: {path}: the snapshot read back differs from the files; fix: report this as a bug")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prices-dir", type=Path, default=ROOT.parent / "shared" / "data" / "prices")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "prices.parquet")
    ap.add_argument("--snapshot-date", default=COLLECTED, help="the date the series were collected (YYYY-MM-DD)")
    args = ap.parse_args(argv)
    path = build(args.prices_dir, args.out, args.snapshot_date)
    snap = SnapshotSource(path)
    m = snap.manifest()
    size = path.stat().st_size / 1e6
    print(
        f"wrote {path} ({size:.2f} MB, {len(m)} tickers, {int(m['rows'].sum())} rows, "
        f"{pd.Timestamp(m['first_date'].min()):%Y-%m-%d} to {pd.Timestamp(m['last_date'].max()):%Y-%m-%d}); "
        f"sha256 {snap.sha256}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
