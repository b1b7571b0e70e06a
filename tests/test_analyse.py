"""The analyse stage: run once inside ``fit()`` (or by ``EventStudy.analyse``), before any renderer; renderers only
read ``results.analyses``."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pandas as pd
import pytest
from test_reliability import OPTIONS, events_frame, synthetic_prices, universe_frame

from eventstudy.analyse import ANALYSES, register_analysis, run_analyses
from eventstudy.analyse.base import _order
from eventstudy.errors import ConfigError
from eventstudy.study import EventStudy

pytestmark = pytest.mark.filterwarnings("ignore::eventstudy.errors.DataWarning")


@pytest.fixture(scope="module")
def study() -> EventStudy:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(events_frame(), universe_frame(), synthetic_prices(), **OPTIONS)


@pytest.fixture(scope="module")
def fitted(study):
    return study.fit()


def test_fit_fills_every_registered_analysis(fitted):
    # the claims are built with the results; the registered analyses follow, in order
    assert [k for k in fitted.analyses if k in ANALYSES] == ANALYSES.names()
    assert {"mvrm", "regressions", "robustness"} <= set(fitted.analyses)
    mv = fitted.analyses["mvrm"]
    assert (mv["kind"] == "wald").any()
    assert set(fitted.analyses["robustness"]["variant"]) >= {"baseline", "market_adjusted", "constant_mean"}


def test_the_mvrm_analysis_is_the_mvrm_of_the_results(fitted):
    direct = fitted.mvrm().to_frame()
    pd.testing.assert_frame_equal(fitted.analyses["mvrm"], direct)


def test_fit_without_the_analyse_stage_and_analyse_later(study, fitted):
    bare = study.fit(analyse=False)
    assert not set(ANALYSES.names()) & set(bare.analyses)
    later = study.analyse(bare)
    assert list(later.analyses) == list(fitted.analyses)
    for name in ("mvrm", "robustness"):
        pd.testing.assert_frame_equal(later.analyses[name], fitted.analyses[name])
    assert not set(ANALYSES.names()) & set(bare.analyses)  # the input is unchanged


def test_analyses_are_read_only(fitted):
    with pytest.raises(TypeError):
        fitted.analyses["mvrm"] = None  # type: ignore[index]


def test_renderers_compute_nothing(fitted, tmp_path, monkeypatch):
    """Writing the tables and the report from fitted results calls no regression or robustness code (the analyse
    stage imports the regression functions on use, so patching them in ``eventstudy.regression`` covers it)."""
    import eventstudy.analyse.robustness as rob
    from eventstudy import regression, robustness
    from eventstudy.report.html import render_report
    from eventstudy.report.tables import write_tables

    def boom(*args, **kwargs):
        raise AssertionError("a renderer computed a statistic")

    for module, name in [
        (regression, "mvrm"),
        (regression, "regress"),
        (robustness, "robustness_from_results"),
        (rob, "robustness_from_results"),
    ]:
        monkeypatch.setattr(module, name, boom)
    paths = write_tables(fitted, tmp_path)
    paths += render_report(fitted, tmp_path, title="t", pdf=False)
    names = {p.name for p in paths}
    assert {"mvrm.csv", "regressions.csv", "report.html"} <= names
    written = pd.read_csv(tmp_path / "mvrm.csv")
    assert len(written) == len(fitted.analyses["mvrm"])


def test_a_failed_analysis_is_a_row_with_the_reason(fitted, monkeypatch):
    import eventstudy.analyse.regressions as regs
    from eventstudy import regression

    def fails(*args, **kwargs):
        raise ConfigError("regress:window: not a CAR window of the results (got 'x'); fix: use one of ['0_0']")

    monkeypatch.setattr(regression, "regress", fails)
    monkeypatch.setattr(regression, "mvrm", fails)
    specs = [{"formula": "car ~ 1", "events": "headline"}, {"formula": "car ~ 1", "events": "all"}]
    reg = regs.regressions_table(replace(fitted, settings={**fitted.settings, "regressions": specs}))
    assert len(reg) == 2 and reg["coef"].isna().all()
    assert reg["notes"].str.startswith("ConfigError: regress:window: not a CAR window").all()
    mv = regs.mvrm_table(fitted)
    assert mv["kind"].tolist() == ["error"] and mv["notes"].iloc[0].startswith("ConfigError: regress:window")


def test_registered_analyses_run_after_what_they_require(fitted):
    seen = []

    @register_analysis("_probe", description="test probe", requires=("robustness",))
    def probe(results):
        seen.append(sorted(results.analyses))
        return len(results.analyses["robustness"])

    try:
        assert _order(["_probe"]) == ["robustness", "_probe"]
        bare = fitted.__class__(**{**fitted.__dict__, "analyses": {}})
        out = run_analyses(bare, ["_probe"])
        assert out.analyses["_probe"] == len(fitted.analyses["robustness"])
        assert seen == [["robustness"]]
    finally:
        ANALYSES._items.pop("_probe")


def test_unknown_analysis_lists_the_valid_ones(fitted):
    with pytest.raises(ConfigError, match="valid analyses are: caar_bands, mvrm, regressions, robustness"):
        run_analyses(fitted, ["mvmr"])


def test_a_study_without_regressions_gets_the_header_only(fitted):
    import eventstudy.analyse.regressions as regs

    reg = regs.regressions_table(replace(fitted, settings={**fitted.settings, "regressions": []}))
    assert reg.empty and list(reg.columns) == regs.REGRESSION_TABLE_COLUMNS
