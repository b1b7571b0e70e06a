"""The clustering-robust bands of the CAAR paths (analysis ``caar_bands``) and the figures that draw them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.analyse import ANALYSES
from eventstudy.analyse.claims import critical_value
from eventstudy.config import Window


@pytest.fixture(scope="module")
def bands(real_results) -> pd.DataFrame:
    return real_results.analyses["caar_bands"]


@pytest.fixture(scope="module")
def claims(real_results) -> pd.DataFrame:
    c = real_results.analyses["claims"]
    return c[c["pvalue"].notna()].reset_index(drop=True)


def _band_at_claim_end(bands: pd.DataFrame, claim) -> pd.Series:
    w = Window(claim.window)
    hit = bands[
        (bands["event_id"] == claim.event_id)
        & (bands["group"] == claim.group)
        & (bands["start"] == w.start)
        & (bands["event_day"] == w.end)
    ]
    assert len(hit) == 1, (claim.event_id, claim.group, claim.window)
    return hit.iloc[0]


def test_the_analysis_is_registered_and_filled(real_results, bands) -> None:
    assert "caar_bands" in ANALYSES.names()
    assert len(bands) > 0
    assert set(bands["test"]) == {"kp_bmp_t"}
    ew = real_results.settings["event_window"]
    # every path runs from its start to the event window's last day, one row per day
    for (_, _, a), rows in bands.groupby(["event_id", "group", "start"]):
        assert rows["event_day"].tolist() == list(range(a, int(ew[1]) + 1))


def test_the_band_excludes_zero_at_a_claims_end_iff_its_p_is_below_5_percent(bands, claims) -> None:
    assert len(claims) >= 10
    assert (claims["pvalue"] < 0.05).any() and (claims["pvalue"] >= 0.05).any()  # both cases are checked
    for c in claims.itertuples():
        b = _band_at_claim_end(bands, c)
        excludes = b["ci_low"] > 0 or b["ci_high"] < 0
        assert excludes == (c.pvalue < 0.05), (c.event_id, c.group, c.window, c.pvalue, b["ci_low"], b["ci_high"])


def test_the_band_at_a_claims_end_is_the_claims_own_test_and_interval(bands, claims) -> None:
    for c in claims.itertuples():
        b = _band_at_claim_end(bands, c)
        assert b["nobs"] == c.nobs
        assert b["caar"] == pytest.approx(c.caar, abs=1e-12)
        assert b["statistic"] == pytest.approx(c.statistic, rel=1e-9)
        assert b["pvalue"] == pytest.approx(c.pvalue, rel=1e-9, abs=1e-15)
        assert b["ci_low"] == pytest.approx(c.ci_low, rel=1e-9)
        assert b["ci_high"] == pytest.approx(c.ci_high, rel=1e-9)


def test_each_days_band_inverts_the_test_over_start_to_that_day(bands) -> None:
    b = bands[bands["statistic"].notna()]
    se = (b["caar"] / b["statistic"]).abs()
    crit = np.array([critical_value(f"t({n - 1})") for n in b["nobs"]])
    np.testing.assert_allclose(b["ci_low"], b["caar"] - crit * se, rtol=1e-10)
    np.testing.assert_allclose(b["ci_high"], b["caar"] + crit * se, rtol=1e-10)
    # the robust band is not the cross-sectional t band: the correlation of firms sharing the date widens it
    assert (b["std_err"] > 0).all()


def test_the_page_one_figure_draws_the_robust_band_and_names_it(report_results) -> None:
    from eventstudy.report.sections import answer
    from eventstudy.report.view import ReportView

    view = ReportView(report_results)
    fig, caption, _ = answer.figures(view)["answer_caar"]
    assert "Kolari–Pynnönen adjusted BMP test (KP-BMP; robust to event-date clustering" in caption
    a = view.band_start(view.head_id)
    assert f"of the CAAR over [{str(a).replace('-', '−')}, t]" in caption
    bands = report_results.analyses["caar_bands"]
    g = view.figure_groups[0]
    ax = fig.axes[0]
    poly = ax.collections[0].get_paths()[0].vertices  # fill_between: the band's outline
    rows = bands[(bands["event_id"] == view.head_id) & (bands["group"] == g) & (bands["start"] == a)]
    lo, hi = rows["ci_low"].to_numpy() * 100, rows["ci_high"].to_numpy() * 100
    assert poly[:, 1].min() == pytest.approx(np.nanmin(lo), rel=1e-9)
    assert poly[:, 1].max() == pytest.approx(np.nanmax(hi), rel=1e-9)
    xs = [ln for ln in ax.lines if len(ln.get_xdata()) == len(rows)]
    assert xs, "the CAAR path is drawn over the band's days"
    np.testing.assert_allclose(xs[0].get_ydata(), rows["caar"].to_numpy() * 100, rtol=1e-12)


def test_without_bands_the_figure_says_it_draws_the_cross_sectional_band(report_results) -> None:
    import dataclasses
    from types import MappingProxyType

    from eventstudy.report.sections import answer
    from eventstudy.report.view import ReportView

    analyses = {k: v for k, v in report_results.analyses.items() if k != "caar_bands"}
    res = dataclasses.replace(report_results, analyses=MappingProxyType(analyses))
    _, caption, _ = answer.figures(ReportView(res))["answer_caar"]
    assert "cross-sectional t band" in caption
    assert "Kolari" not in caption
