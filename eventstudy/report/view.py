"""What every section of the report reads from a fitted study, in one place: the headline events and windows, the
groups in the study's order, the claims and the analyses. Selection and lookup only; no statistic is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import pandas as pd

from ..catalog import OUTCOMES, TEST_CATALOG
from . import fmt
from .labels import GroupStyle, short_name

__all__ = ["ReportView", "DEFAULT_PRIMARY_TEST", "MIN_NOBS_FOR_FINDINGS"]

DEFAULT_PRIMARY_TEST = "kp_bmp_t"
#: a group with fewer usable firm-events is shown but never stated as a finding (METHODS §4b)
MIN_NOBS_FOR_FINDINGS = 5
_USABLE = ("ok", "missing_event_window")
#: the window of the firm × event heatmap
HEATMAP_WINDOW = "m1_1"


def _frame(x: Any) -> pd.DataFrame | None:
    """An analysis as a frame: a DataFrame, an object with ``to_frame()``, a mapping of frames (concatenated)."""
    if x is None:
        return None
    if isinstance(x, pd.DataFrame):
        return x
    if hasattr(x, "to_frame"):
        return x.to_frame()
    if isinstance(x, Mapping):
        frames = [f for f in (_frame(v) for v in x.values()) if f is not None and len(f.columns)]
        return pd.concat(frames, ignore_index=True) if frames else None
    return None


class ReportView:
    """Read-only view of an :class:`~eventstudy.results.EventStudyResults` for the report's sections."""

    def __init__(self, results: Any, *, title: str = "Event study report", files: tuple[str, ...] = ()) -> None:
        self.results = results
        self.title = title
        self.files = tuple(files)
        self.settings: Mapping[str, Any] = results.settings or {}

    # ---------------------------------------------------------------- the results' tables, read once
    # (the results hand out a copy of a table at each access; the sections read these many times)
    @cached_property
    def events(self) -> pd.DataFrame:
        return self.results.events

    @cached_property
    def caar_table(self) -> pd.DataFrame:
        return self.results.caar_table

    @cached_property
    def test_table(self) -> pd.DataFrame:
        return self.results.test_table

    @cached_property
    def aar_table(self) -> pd.DataFrame:
        return self.results.aar_table

    @cached_property
    def firm_events(self) -> pd.DataFrame:
        return self.results.firm_events

    @cached_property
    def _events_by_id(self) -> pd.DataFrame:
        return self.events.set_index("event_id")

    @cached_property
    def _caar_rows(self) -> dict[tuple[str, str, str], pd.Series]:
        c = self.caar_table
        keys = zip(c["event_id"].astype(str), c["group"].astype(str), c["window"].astype(str), strict=True)
        return {k: c.iloc[i] for i, k in enumerate(keys)}

    # ---------------------------------------------------------------- events
    @cached_property
    def headline_ids(self) -> list[str]:
        """The headline event first, then the other headline events in table order."""
        ev = self.events
        head = self.settings.get("headline_event")
        ids = ev.loc[ev["headline"].astype(bool), "event_id"].astype(str).tolist() if "headline" in ev else []
        if head:
            ids = [str(head)] + [i for i in ids if i != head]
        return ids or ([str(ev["event_id"].iloc[0])] if len(ev) else [])

    @property
    def head_id(self) -> str | None:
        return self.headline_ids[0] if self.headline_ids else None

    def event(self, event_id: str | None) -> pd.Series:
        return self._events_by_id.loc[event_id]

    def event_title(self, event_id: str | None) -> str:
        return str(self.event(event_id).get("title", event_id))

    def event_date(self, event_id: str | None) -> str:
        t = self.event(event_id).get("announced_at_utc")
        return pd.Timestamp(t).strftime("%Y-%m-%d") if t is not None and pd.notna(t) else ""

    # ---------------------------------------------------------------- groups
    @cached_property
    def _group_candidates(self) -> list[str]:
        """Groups in the study's order: each top group followed by its sub-groups (the study's ``group_by``)."""
        fe = self.firm_events
        present = list(dict.fromkeys(self.caar_table["group"].astype(str)))
        order: list[str] = []
        cols = [c for c in self.settings.get("group_by") or ["group"] if c in fe.columns]
        tops = [str(g) for g in self.settings.get("groups") or []] or list(dict.fromkeys(fe["group"].astype(str)))
        for top in tops:
            order.append(top)
            sub = fe[fe["group"].astype(str) == top]
            for c in cols[1:]:
                order.extend(str(x) for x in dict.fromkeys(sub[c].dropna().astype(str)))
        order = [g for g in dict.fromkeys(order) if g in present]
        return order + [g for g in present if g not in order]

    @cached_property
    def duplicates(self) -> dict[str, str]:
        """Group → the earlier group with the very same rows in the CAAR table (same firms): shown once."""
        c = self.caar_table
        seen: dict[tuple, str] = {}
        dup: dict[str, str] = {}
        for g in self._group_candidates:
            rows = c[c["group"].astype(str) == g].sort_values(["event_id", "window"])
            key = tuple(zip(rows["event_id"], rows["window"], rows["nobs"], rows["caar"].round(12), strict=True))
            if key in seen:
                dup[g] = seen[key]
            else:
                seen[key] = g
        return dup

    @cached_property
    def groups(self) -> list[str]:
        """Groups shown, in the study's order, each set of firms once."""
        return [g for g in self._group_candidates if g not in self.duplicates]

    @cached_property
    def style(self) -> GroupStyle:
        return GroupStyle(self.settings, self.groups)

    def label(self, group: str) -> str:
        return self.style.label(group)

    # ---------------------------------------------------------------- windows and tests
    @cached_property
    def claims(self) -> pd.DataFrame | None:
        c = _frame(self.analyses.get("claims"))
        return c if c is not None and len(c.columns) else None

    @cached_property
    def primary_test(self) -> str:
        c = self.claims
        if c is not None and "test" in c and c["test"].notna().any():
            return str(c["test"].dropna().iloc[0])
        return str(self.settings.get("primary_test") or DEFAULT_PRIMARY_TEST)

    @cached_property
    def headline_windows(self) -> list[str]:
        """The claims' windows; else the study's ``headline_windows``; else [0, 0] and [−1, 1] where computed."""
        have = list(dict.fromkeys(self.caar_table["window"].astype(str)))
        if self.claims is not None and "window" in self.claims and len(self.claims):
            wins = list(dict.fromkeys(self.claims["window"].astype(str)))
        else:
            wins = [w for e in self.headline_ids for w in self.windows_for(e)]
        wins = list(dict.fromkeys(wins))
        return [w for w in wins if w in have] or have[:2]

    def windows_for(self, event_id: str | None) -> list[str]:
        """The headline windows of one event: its claims' windows; else the study's; else [0, 1] for a date-only
        announcement and [0, 0], [−1, 1] for a timed one, where computed."""
        have = list(dict.fromkeys(self.caar_table["window"].astype(str)))
        c = self.claims
        if c is not None and len(c) and event_id is not None:
            wins = list(dict.fromkeys(c.loc[c["event_id"].astype(str) == str(event_id), "window"].astype(str)))
            if wins:
                return [w for w in wins if w in have]
        if self.settings.get("headline_windows"):
            wins = [str(w) for w in self.settings["headline_windows"]]
        elif event_id is not None and str(self.event(event_id).get("time_precision", "")) == "day":
            wins = ["0_1"]
        else:
            wins = ["0_0", "m1_1"]
        return [w for w in wins if w in have] or have[:2]

    @cached_property
    def analyses(self) -> Mapping[str, Any]:
        return getattr(self.results, "analyses", None) or {}

    def analysis(self, key: str) -> pd.DataFrame | None:
        return _frame(self.analyses.get(key))

    # ---------------------------------------------------------------- CAAR paths of the figures
    @cached_property
    def bands(self) -> pd.DataFrame | None:
        """The analyse stage's clustering-robust bands of the CAAR paths (``"caar_bands"``), if it ran."""
        b = self.analysis("caar_bands")
        return b if b is not None and len(b) else None

    def band_start(self, event_id: str | None) -> int | None:
        """The day the figures cumulate ``event_id``'s robust path from: its earliest headline window's start."""
        b = self.bands
        if b is None:
            return None
        starts = b.loc[b["event_id"].astype(str) == str(event_id), "start"]
        return int(starts.min()) if len(starts) else None

    @cached_property
    def paths(self) -> pd.DataFrame:
        """The CAAR paths the figures draw (``event_id, group, event_day, nobs, caar`` and a band).

        With the robust bands (:attr:`bands`): each headline event's CAAR over [a, t] from its earliest headline
        window's start a, with the band of the headline test (``robust_ci_low``, ``robust_ci_high``). Without them:
        the AAR table's paths from the event window's start with their cross-sectional t band.
        """
        b = self.bands
        if b is None:
            return self.aar_table
        first = b.groupby("event_id")["start"].transform("min")
        keep = ["event_id", "group", "event_day", "nobs", "caar", "ci_low", "ci_high"]
        sel = b.loc[b["start"] == first, keep].rename(columns={"ci_low": "robust_ci_low", "ci_high": "robust_ci_high"})
        return sel.reset_index(drop=True)

    def band_text(self, start: int | None = None) -> str:
        """What the figures' band is, for their captions (``start``: the day the path is cumulated from)."""
        b = self.bands
        if b is None:
            return "95 % cross-sectional t band (it ignores the correlation of firms that share the event date)"
        test = str(b["test"].dropna().iloc[0]) if b["test"].notna().any() else self.primary_test
        info = TEST_CATALOG.get(test)
        name = f"{info.description} test" if info is not None else test
        robust = "robust to event-date clustering; " if info is not None and info.robust_to_clustering else ""
        span = f"[{fmt.minus(str(start))}, t]" if start is not None else "[a, t]"
        return f"95 % band of the {name} ({short_name(test)}; {robust}the claims' test) of the CAAR over {span}"

    # ---------------------------------------------------------------- lookups
    def caar(self, event_id: str | None, group: str, window: str) -> pd.Series | None:
        return self._caar_rows.get((str(event_id), str(group), str(window)))

    @cached_property
    def _pvalues(self) -> pd.Series:
        t = self.test_table
        return t.set_index(["event_id", "group", "window", "test"])["pvalue"].sort_index()

    def pvalue(self, event_id: str | None, group: str, window: str, test: str | None = None) -> float:
        key = (event_id, group, window, test or self.primary_test)
        try:
            v = self._pvalues.loc[key]
        except KeyError:
            return float("nan")
        return float(v.iloc[0]) if isinstance(v, pd.Series) else float(v)

    def claim_rows(self, event_id: str | None = None) -> pd.DataFrame:
        """The claims of one event (default: the headline event), groups shown in the report's order."""
        c = self.claims
        if c is None:
            return pd.DataFrame()
        event_id = event_id or self.head_id
        c = c[c["event_id"].astype(str) == str(event_id)]
        c = c[~c["group"].isin(list(self.duplicates))]
        order = {g: i for i, g in enumerate(self.groups)}
        worder = {w: i for i, w in enumerate(self.headline_windows)}
        return (
            c.assign(_g=c["group"].map(order).fillna(len(order)), _w=c["window"].map(worder).fillna(len(worder)))
            .sort_values(["_g", "_w"])
            .drop(columns=["_g", "_w"])
            .reset_index(drop=True)
        )

    @cached_property
    def page1_groups(self) -> list[str]:
        """The groups of the answer: those with claims; else those with N ≥ 5 at the headline event."""
        c = self.claim_rows()
        if len(c):
            have = set(c["group"].astype(str))
            return [g for g in self.groups if g in have]
        t = self.caar_table
        t = t[(t["event_id"] == self.head_id) & t["window"].isin(self.windows_for(self.head_id))]
        big = set(t.loc[t["nobs"] >= MIN_NOBS_FOR_FINDINGS, "group"].astype(str))
        return [g for g in self.groups if g in big]

    @cached_property
    def figure_groups(self) -> list[str]:
        """The answer's groups with at least :data:`MIN_NOBS_FOR_FINDINGS` usable firm-events at the headline event."""
        t = self.caar_table
        t = t[(t["event_id"] == self.head_id) & t["window"].isin(self.windows_for(self.head_id))]
        big = set(t.loc[t["nobs"] >= MIN_NOBS_FOR_FINDINGS, "group"].astype(str))
        return [g for g in self.page1_groups if g in big]

    # ---------------------------------------------------------------- coverage
    @cached_property
    def usable(self) -> tuple[int, int]:
        """(usable firm-events, all firm-events): usable when a CAR of some window exists."""
        fe = self.firm_events
        return int(fe["status"].isin(_USABLE).sum()), len(fe)

    @cached_property
    def outcome_counts(self) -> pd.Series:
        return self.results.outcome_counts()

    @cached_property
    def outcome_meanings(self) -> dict[str, str]:
        meanings = dict(OUTCOMES)
        o = self.results.outcomes
        if len(o):
            meanings.update(dict(zip(o["status"], o["reason"].astype(str), strict=False)))
        return {k: meanings.get(k, "") for k in self.outcome_counts.index}

    # ---------------------------------------------------------------- firm × event table
    def heatmap_frame(self, window: str = HEATMAP_WINDOW) -> tuple[pd.DataFrame, list[str]]:
        """The CAR table (tickers × events in date order) and each row's group (the finest grouping of the study)."""
        fe = self.firm_events
        col = f"car_{window}"
        gcol = next((c for c in reversed(self.settings.get("group_by") or ["group"]) if c in fe.columns), "group")
        fe = fe.assign(value=fe[col].where(fe["status"].isin(_USABLE)) if col in fe else float("nan"))
        rank = {g: i for i, g in enumerate(self.groups + list(self.duplicates))}
        first = fe.drop_duplicates("ticker")
        firms = pd.DataFrame(
            {"ticker": first["ticker"].astype(str).to_numpy(), "row_group": first[gcol].astype(str).to_numpy()}
        )
        firms = firms.assign(_r=firms["row_group"].map(rank).fillna(len(rank))).sort_values(["_r", "ticker"])
        wide = fe.pivot_table(index="ticker", columns="event_id", values="value", aggfunc="first", dropna=False)
        order = self.events.sort_values("announced_at_utc")["event_id"].astype(str).tolist()
        wide = wide.reindex(index=firms["ticker"].tolist(), columns=order)
        return wide, [self.duplicates.get(g, g) for g in firms["row_group"]]

    def window_text(self, w: str) -> str:
        return fmt.window(w)
