"""Failures that say what happened: no network, throttling, library logs kept off the terminal, and runs with
nothing usable. Yahoo is faked in the shapes yfinance 1.x gives (its multi-index frame and its logger's lines)."""

from __future__ import annotations

import logging
import socket
import ssl
import time
from pathlib import Path

import pandas as pd
import pytest
from test_cli import STUDY, one_error_line, run, study_dir  # noqa: F401  (fixture)
from test_data_sources import FakeDownload, quiet_yahoo, rate_limit_error

from eventstudy.data import network
from eventstudy.data.network import NO_NETWORK, NoNetworkError, classify


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (socket.gaierror(-2, "Name or service not known"), "network"),
        (ConnectionRefusedError(111, "Connection refused"), "network"),
        (ConnectionError("connection reset by peer"), "network"),
        (ssl.SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "network"),
        ("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com", "network"),
        ("curl: (35) TLS connect error: error:0A000126", "network"),
        ("Failed to perform, curl: (7) Failed to connect to query2.finance.yahoo.com port 443", "network"),
        (rate_limit_error(), "throttle"),
        (RuntimeError("429 Too Many Requests"), "throttle"),
        (ConnectionError("502 Bad Gateway"), "throttle"),
        (TimeoutError("read timed out"), "throttle"),
        ("possibly delisted; no price data found (period=1d)", "other"),
    ],
)
def test_classify(failure, kind) -> None:
    assert classify(failure) == kind


def test_connection_failure_stops_the_fetch_at_once() -> None:
    fake = FakeDownload(script=[ConnectionError("connection reset by peer")] * 10)
    src, sleeps = quiet_yahoo(fake, retries=4, batch_size=1)
    t0 = time.perf_counter()
    with pytest.raises(NoNetworkError) as err:
        src.fetch(["MP", "LYC.AX", "SPY"])
    assert time.perf_counter() - t0 < 5
    assert str(err.value).startswith(NO_NETWORK)
    assert "\n" not in str(err.value)
    assert len(fake.calls) == 1 and sleeps == []  # not retried, no further batch


class LoggingYahoo:
    """yfinance 1.x's way of failing: it catches each ticker's error, logs ``['T1', 'T2']: <reason>`` on the
    ``yfinance`` logger (and may print), and returns the frame of what it got."""

    def __init__(self, errors: dict[str, str], history=None) -> None:
        self.errors = errors
        self.inner = FakeDownload(history) if history is not None else FakeDownload()
        self.calls = 0

    def __call__(self, **kwargs):
        self.calls += 1
        log = logging.getLogger("yfinance")
        by_reason: dict[str, list[str]] = {}
        for t in kwargs["tickers"]:
            if t in self.errors:
                by_reason.setdefault(self.errors[t], []).append(t)
        if by_reason:
            log.error("\n%d Failed downloads:", sum(len(v) for v in by_reason.values()))
            for reason, tickers in by_reason.items():
                log.error(f"{tickers}: {reason}")
            print("progress bar leftovers from yfinance")
        kept = [t for t in kwargs["tickers"] if t not in self.errors]
        return self.inner(**{**kwargs, "tickers": kept}) if kept else pd.DataFrame()


def test_dns_failure_logged_by_yfinance_stops_the_fetch(capsys, caplog) -> None:
    dns = "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. See https://curl.se/..."
    fake = LoggingYahoo({"MP": dns, "LYC.AX": dns})
    src, sleeps = quiet_yahoo(fake, retries=4)
    with caplog.at_level(logging.DEBUG), pytest.raises(NoNetworkError, match="no network: Yahoo is unreachable"):
        src.fetch(["MP", "LYC.AX"])
    assert fake.calls == 1 and sleeps == []
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""  # yfinance's log and prints never reach the terminal
    assert not [r for r in caplog.records if r.name == "yfinance"]


def test_ticker_errors_become_reasons_and_nothing_is_printed(capsys) -> None:
    fake = LoggingYahoo({"GONE": "possibly delisted; no price data found (1d 2025-07-10 -> 2025-07-11)"})
    src, sleeps = quiet_yahoo(fake)
    result = src.fetch(["MP", "GONE"], "2025-07-10", "2025-07-10")
    assert result.prices["ticker"].tolist() == ["MP"]
    assert result.failures == {
        "GONE": "Yahoo returned no rows for GONE in 2025-07-10..2025-07-10 (possibly delisted; no price data found "
        "(1d 2025-07-10 -> 2025-07-11))"
    }
    assert sleeps == []
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_every_ticker_unknown_is_not_retried_as_throttling() -> None:
    fake = LoggingYahoo({"NOPE1": "possibly delisted; no timezone found", "NOPE2": "possibly delisted"})
    src, sleeps = quiet_yahoo(fake, retries=3)
    result = src.fetch(["NOPE1", "NOPE2"])
    assert result.failures == {
        "NOPE1": "Yahoo: possibly delisted; no timezone found",
        "NOPE2": "Yahoo: possibly delisted",
    }
    assert fake.calls == 1 and sleeps == []


def test_throttling_is_retried_with_backoff_then_succeeds() -> None:
    fake = FakeDownload(script=[rate_limit_error(), pd.DataFrame()])
    src, sleeps = quiet_yahoo(fake, backoff=0.5, retries=4)
    result = src.fetch(["MP"], "2025-07-10", "2025-07-10")
    assert result.failures == {} and result.prices["close"].tolist() == [45.23]
    assert len(fake.calls) == 3 and len(sleeps) == 2
    assert 0.5 <= sleeps[0] < 1.0 <= sleeps[1] < 1.5


def test_the_probe_fails_fast_and_before_any_download() -> None:
    calls = []

    def unreachable() -> None:
        raise NoNetworkError(f"{NO_NETWORK} (test)")

    from eventstudy.data import YahooSource

    src = YahooSource(download=lambda **kw: calls.append(kw), probe=unreachable, progress=False)
    with pytest.raises(NoNetworkError):
        src.fetch(["MP"])
    assert calls == []


def test_real_probe_of_an_unresolvable_host_is_quick() -> None:
    t0 = time.perf_counter()
    with pytest.raises(NoNetworkError) as err:
        network.probe("eventstudy-test.invalid", timeout=2.0)
    assert time.perf_counter() - t0 < 5
    assert str(err.value).startswith(NO_NETWORK) and "eventstudy-test.invalid" in str(err.value)


# ------------------------------------------------------------------------------------------------------------
# The command line: one line, non-zero, under 5 s, no outputs
# ------------------------------------------------------------------------------------------------------------


def _yahoo_study(d: Path) -> None:
    (d / "study.toml").write_text(STUDY + '\n[data]\nsource = "yahoo"\ncache = "cache.duckdb"\n')


def test_run_without_network_is_one_line(study_dir: Path, monkeypatch) -> None:  # noqa: F811
    def unreachable(*args, **kwargs) -> None:
        raise NoNetworkError(f"{NO_NETWORK} (query2.finance.yahoo.com: gaierror: [Errno -2] Name or service not known)")

    monkeypatch.setattr(network, "probe", unreachable)
    _yahoo_study(study_dir)
    t0 = time.perf_counter()
    result = run("run", "study.toml", "--out", "out")
    assert time.perf_counter() - t0 < 5
    line = one_error_line(result)
    assert line.startswith(f"error: {NO_NETWORK}")
    assert not (study_dir / "out").exists()


def test_refresh_asks_yahoo_even_when_the_study_reads_files(study_dir: Path, monkeypatch) -> None:  # noqa: F811
    def unreachable(*args, **kwargs) -> None:
        raise NoNetworkError(f"{NO_NETWORK} (test)")

    monkeypatch.setattr(network, "probe", unreachable)
    line = one_error_line(run("run", "study.toml", "--refresh", "--out", "out"))
    assert NO_NETWORK in line


def test_offline_with_an_empty_cache_is_one_line_and_writes_nothing(study_dir: Path) -> None:  # noqa: F811
    _yahoo_study(study_dir)
    t0 = time.perf_counter()
    result = run("run", "study.toml", "--offline", "--out", "out")
    assert time.perf_counter() - t0 < 5
    assert result.exit_code == 65, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    assert errors[0].startswith("error: no firm-event is usable (0 of 4): no_data 4")
    assert "not in the cache (offline)" in errors[0] and "fix:" in errors[0]
    assert not (study_dir / "out").exists()


def test_too_few_usable_firm_events_stops_the_run(study_dir: Path) -> None:  # noqa: F811
    ok = run("run", "study.toml", "--prices-dir", "prices", "--out", "out")
    assert ok.exit_code == 0, ok.output
    (study_dir / "prices" / "BBB.csv").unlink()  # half the firm-events lose their prices
    result = run("run", "study.toml", "--prices-dir", "prices", "--out", "out2", "--min-usable", "0.75")
    assert result.exit_code == 65, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and errors[0].startswith("error: only 2 of 4 firm-events are usable")
    assert "no_data 2" in errors[0]
    assert not (study_dir / "out2").exists()


def test_many_tickers_without_prices_make_one_summary_line() -> None:
    from eventstudy.cli import _notices

    class Fake:
        data_notes = pd.DataFrame({"ticker": list("ABCDE"), "failure": ["not in the cache (offline)"] * 5})

    lines = _notices(Fake(), [])
    assert len(lines) == 1
    assert lines[0].startswith("5 tickers without prices (A, B, C, D, E), e.g. not in the cache (offline)")
