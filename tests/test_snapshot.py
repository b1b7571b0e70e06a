"""The study's price snapshot: what it holds, its checksum, and that it reads back as the files it was built from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.config import read_study
from eventstudy.data import FileSource, SnapshotSource, get_source, write_snapshot
from eventstudy.data.snapshot import SNAPSHOT_COLUMNS, checksum_path, file_sha256
from eventstudy.errors import PriceDataError


def test_snapshot_is_small_and_checksummed(snapshot_path: Path) -> None:
    assert snapshot_path.stat().st_size < 10e6
    recorded = checksum_path(snapshot_path).read_text(encoding="utf-8").split()
    assert recorded == [file_sha256(snapshot_path), snapshot_path.name]


def test_snapshot_matches_its_manifest(snapshot, snapshot_path: Path) -> None:
    listed = pd.read_csv(snapshot_path.parent / "MANIFEST.csv", dtype=str, keep_default_na=False).set_index("ticker")
    held = snapshot.manifest().set_index("ticker")
    assert sorted(held.index) == sorted(listed.index)
    assert (held["rows"] == listed.loc[held.index, "rows"].astype(int)).all()
    assert (held["first_date"] == pd.to_datetime(listed.loc[held.index, "first_date"])).all()
    assert (held["last_date"] == pd.to_datetime(listed.loc[held.index, "last_date"])).all()
    assert (held["source"] == listed.loc[held.index, "source"]).all()
    assert (held["adjustment"] == listed.loc[held.index, "adjustment"]).all()
    assert set(held["snapshot_date"]) == {pd.Timestamp("2026-11-28")}


def test_snapshot_columns(snapshot) -> None:
    frame = snapshot.frame()
    assert tuple(frame.columns) == SNAPSHOT_COLUMNS
    assert frame["close"].notna().all()
    assert not frame.duplicated(["ticker", "date"]).any()


def test_known_closes(snapshot) -> None:
    p = snapshot.fetch(["MP", "LYC.AX"], "2025-06-05", "2025-07-10").prices.set_index(["ticker", "date"])["close"]
    assert p[("MP", pd.Timestamp("2025-07-10"))] == pytest.approx(45.23, abs=1e-6)  # PROVENANCE: +50.6 %
    assert p[("LYC.AX", pd.Timestamp("2025-06-05"))] == pytest.approx(9.26, abs=1e-6)


def test_fetch_reports_what_it_lacks(snapshot) -> None:
    result = snapshot.fetch(["MP", "NOPE"], "2030-01-01", "2030-02-01")
    assert result.prices.empty
    assert result.failures == {
        "MP": "no rows in 2030-01-01..2030-02-01 in the snapshot",
        "NOPE": "NOPE is not in the snapshot",
    }
    assert result.source == "snapshot"


def test_files_written_from_the_snapshot_read_back_equal(snapshot, prices_dir: Path) -> None:
    tickers = ["MP", "^IRX", "600111.SS", "LYC.AX", "4063.T"]
    a = snapshot.fetch(tickers, "2024-01-01", "2025-12-31").prices
    b = FileSource(prices_dir).fetch(tickers, "2024-01-01", "2025-12-31").prices
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_changed_file_is_refused_in_one_line(tmp_path: Path, snapshot_path: Path) -> None:
    copy = tmp_path / "prices.parquet"
    shutil.copyfile(snapshot_path, copy)
    shutil.copyfile(checksum_path(snapshot_path), checksum_path(copy))
    with copy.open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(PriceDataError) as err:
        SnapshotSource(copy).fetch(["MP"])
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{copy}: checksum mismatch")
    assert "scripts/build_snapshot.py" in msg


def test_missing_checksum_is_refused(tmp_path: Path, snapshot_path: Path) -> None:
    copy = tmp_path / "prices.parquet"
    shutil.copyfile(snapshot_path, copy)
    with pytest.raises(PriceDataError, match="checksum file of the snapshot not found"):
        SnapshotSource(copy).fetch(["MP"])


def test_write_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    prices = pd.DataFrame(
        {
            "ticker": ["B", "A", "A"],
            "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-02"]),
            "close": [2.0, 1.5, 1.0 / 3.0],
            "volume": [float("nan"), 10.0, 12.0],
            "source": ["vendor b", "vendor a", "vendor a"],
            "adjustment": ["none", "splits", "splits"],
        }
    )
    one = write_snapshot(prices, tmp_path / "one" / "p.parquet", snapshot_date="2025-02-01")
    two = write_snapshot(prices.iloc[::-1], tmp_path / "two" / "p.parquet", snapshot_date="2025-02-01")
    assert file_sha256(one) == file_sha256(two)
    got = SnapshotSource(one).frame()
    assert got["ticker"].tolist() == ["A", "A", "B"]
    assert got["close"].tolist() == [1.0 / 3.0, 1.5, 2.0]
    assert got["source"].tolist() == ["vendor a", "vendor a", "vendor b"]
    assert got["volume"].isna().tolist() == [False, False, True]
    assert (got["snapshot_date"] == pd.Timestamp("2025-02-01")).all()


def test_registered_and_chosen_by_the_study_file(repo_dir: Path, snapshot_path: Path) -> None:
    assert isinstance(get_source("snapshot", snapshot_path), SnapshotSource)
    spec = read_study(repo_dir / "study.toml")
    assert spec.source == "snapshot"
    assert spec.snapshot == snapshot_path


def test_settings_carry_the_reproducibility_record(real_results) -> None:
    from importlib.metadata import version

    settings = real_results.settings
    assert settings["source"] == "snapshot"
    assert settings["source_sha256"] == file_sha256(Path(__file__).resolve().parents[1] / "data" / "prices.parquet")
    record = settings["reproducibility"]
    assert record["packages"]["pandas"] == version("pandas")
    assert record["packages"]["policy-eventstudy"] == version("policy-eventstudy")
    assert record["python"].split()[-1].count(".") == 2
    assert len(record["commit"].split("+")[0]) in (0, 40)
    assert "seed" in settings
