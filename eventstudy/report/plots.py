"""Figures of the report, built with matplotlib's object API (:class:`matplotlib.figure.Figure`; pyplot and the
backend are never touched). They draw numbers read from the results frames; nothing here computes a statistic.

Type is at least 8 pt at the printed size, axes are in per cent, groups carry the study's labels and colours
(Okabe–Ito by default, readable with the common colour-vision deficiencies), and day 0 is marked on every path.
:func:`to_png` and :func:`to_svg` serialise a figure; :func:`data_uri` makes an ``<img>`` source.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .labels import DIRECTION_NAMES, DIRECTION_PREFERRED, OKABE_ITO, GroupStyle, direction_styles

__all__ = [
    "figure",
    "PLOT_KINDS",
    "OKABE_ITO",
    "DIRECTION_COLOURS",
    "timeline",
    "caar_paths",
    "caar_grid",
    "car_heatmap",
    "to_png",
    "to_svg",
    "render",
    "data_uri",
    "MIN_FONT_PT",
]

#: the smallest type on any figure, in points at the printed size
MIN_FONT_PT = 8.0

#: the preferred colours of the usual directions; every other direction gets one too (:func:`direction_styles`)
DIRECTION_COLOURS = {d: colour for d, (colour, _) in DIRECTION_PREFERRED.items()}

_RC: Any = {
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
}


def _figure(width: float, height: float, layout: Any = "constrained") -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout=layout)


def _rc() -> Any:
    import matplotlib

    return matplotlib.rc_context(_RC)


def to_png(fig: Any, dpi: int = 200) -> bytes:
    buf = io.BytesIO()
    with _rc():
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_svg(fig: Any) -> bytes:
    buf = io.BytesIO()
    with _rc():
        fig.savefig(buf, format="svg")
    return buf.getvalue()


def render(fig: Any, dpi: int = 200) -> tuple[bytes, bytes]:
    """The figure as PNG and SVG, laid out once: the PNG's draw computes the (constrained) layout, which the SVG
    then reuses as it is, instead of computing it again (the layout is most of a many-panel figure's cost)."""
    png = to_png(fig, dpi=dpi)
    fig.set_layout_engine("none")  # keeps the axes where the layout put them
    return png, to_svg(fig)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _pct_axis(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("-", "−")))


def _path(aar: pd.DataFrame, event_id: str | None, group: str) -> pd.DataFrame:
    p = aar[(aar["event_id"] == event_id) & (aar["group"] == group)]
    return p.sort_values("event_day")


def _band_columns(aar: pd.DataFrame) -> tuple[str, str] | None:
    """The band of the CAAR path: the clustering-robust one when the results hold it, else the 95 % t band."""
    for lo, hi in (("robust_ci_low", "robust_ci_high"), ("ci_low", "ci_high")):
        if {lo, hi} <= set(aar.columns):
            return lo, hi
    return None


def band_name(aar: pd.DataFrame) -> str:
    cols = _band_columns(aar)
    if cols is None:
        return ""
    return "clustering-robust 95 % band" if cols[0].startswith("robust") else "95 % cross-sectional t band"


def _draw_path(ax: Any, p: pd.DataFrame, colour: str, band: tuple[str, str] | None, *, ms: float = 2.5) -> None:
    from matplotlib.lines import Line2D

    # the zero line and day 0, across the axes (as axhline/axvline draw them, without their query of the shared
    # axes' limits, which is most of a small-multiple figure's build time)
    ax.add_line(Line2D([0, 1], [0, 0], transform=ax.get_yaxis_transform(), color="#888888", lw=0.6))
    ax.add_line(Line2D([0, 0], [0, 1], transform=ax.get_xaxis_transform(), color="#888888", lw=0.6, ls=":"))
    if not len(p):
        ax.text(0.5, 0.5, "no usable firm-event", transform=ax.transAxes, ha="center", va="center", fontsize=8)
        return
    x = p["event_day"].to_numpy()
    if band is not None:
        ax.fill_between(x, p[band[0]] * 100, p[band[1]] * 100, color=colour, alpha=0.18, lw=0)
    y = p["caar"].to_numpy() * 100
    ax.plot(x, y, color=colour, lw=1.5, marker="o", ms=ms)
    at0 = p["event_day"] == 0
    if at0.any():  # the event marker: day 0 on the path
        ax.plot([0], [float(p.loc[at0, "caar"].iloc[0]) * 100], marker="D", ms=ms + 2.5, color="black", zorder=4)


def caar_paths(
    aar: pd.DataFrame,
    event_id: str | None,
    groups: Sequence[str],
    style: GroupStyle,
    *,
    ncol: int = 3,
    width: float = 7.2,
    panel_height: float = 1.75,
) -> Any:
    """CAAR paths of one event, one panel per group in the group's colour, with a 95 % band; day 0 marked."""
    groups = list(groups)
    band = _band_columns(aar)
    ncol = max(1, min(ncol, len(groups)))
    nrow = max(1, -(-len(groups) // ncol))
    with _rc():
        fig = _figure(width, panel_height * nrow + 0.3)
        axes = fig.subplots(nrow, ncol, sharex=True, sharey=True, squeeze=False)
        for ax in axes.ravel()[len(groups) :]:
            ax.set_visible(False)
        for ax, g in zip(axes.ravel(), groups, strict=False):
            p = _path(aar, event_id, g)
            _draw_path(ax, p, style.colour(g), band)
            n = int(p["nobs"].max()) if len(p) else 0
            ax.set_title(f"{style.label(g)} (N = {n})", loc="left")
            _pct_axis(ax)
            ax.grid(color="#eeeeee", lw=0.5)
        for ax in axes[:, 0]:
            ax.set_ylabel("CAAR, %")
        for ax in axes[-1]:
            ax.set_xlabel("event day (sessions)")
    return fig


def caar_grid(
    aar: pd.DataFrame,
    event_ids: Sequence[str],
    groups: Sequence[str],
    style: GroupStyle,
    *,
    event_labels: Mapping[str, str] | None = None,
    width: float = 7.2,
) -> Any:
    """Small multiples: events (rows) × groups (columns), CAAR path with its band, day 0 marked, one y scale."""
    event_labels = event_labels or {}
    band = _band_columns(aar)
    nrow, ncol = max(1, len(event_ids)), max(1, len(groups))
    with _rc():
        fig = _figure(width, 0.3 + 1.25 * nrow)
        axes = fig.subplots(nrow, ncol, sharex=True, sharey="row", squeeze=False)
        for i, e in enumerate(event_ids):
            for j, g in enumerate(groups):
                ax = axes[i, j]
                _draw_path(ax, _path(aar, e, g), style.colour(g), band, ms=1.5)
                ax.grid(color="#eeeeee", lw=0.4)
                _pct_axis(ax)
                if i == 0:
                    ax.set_title("\n".join(textwrap.wrap(style.label(g), 12)), fontsize=8)
                if j == 0:
                    ax.set_ylabel(event_labels.get(e, e), fontsize=8, rotation=0, ha="right", va="center")
                if i == nrow - 1:
                    ax.set_xlabel("day", fontsize=8)
        fig.supylabel("CAAR, %", fontsize=8.5, x=0.0)
    return fig


def _lanes(xs: Sequence[float], widths: Sequence[float], gap: float) -> list[int]:
    """A lane per label so that labels in one lane never overlap (greedy, in x order)."""
    ends: list[float] = []
    lanes = []
    for x, w in zip(xs, widths, strict=True):
        left = x - w / 2
        for k, end in enumerate(ends):
            if left > end + gap:
                ends[k] = x + w / 2
                lanes.append(k)
                break
        else:
            ends.append(x + w / 2)
            lanes.append(len(ends) - 1)
    return lanes


def timeline(
    events: pd.DataFrame,
    *,
    headline_ids: Sequence[str] = (),
    width: float = 7.2,
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """Events on the calendar, one row per direction (colour and marker by direction, for any direction value:
    :func:`~eventstudy.report.labels.direction_styles`); headline events numbered above the rows, the numbers laid
    out in lanes so that no two collide, and named in a key below."""
    import matplotlib.dates as mdates

    ev = events.copy()
    ev["when"] = pd.to_datetime(ev["announced_at_utc"], utc=True).dt.tz_convert(None)
    ev["direction"] = ev["direction"].fillna("").astype(str).replace("", "unspecified")
    styles = direction_styles(ev["direction"], settings)
    order = list(styles)
    ypos = {d: i for i, d in enumerate(order)}
    heads = [e for e in headline_ids if e in set(ev["event_id"])]
    hv = ev.set_index("event_id").loc[heads].sort_values("when") if heads else ev.iloc[0:0]
    key = [f"{i}  {r.when:%d %b %Y}  {r.title!s}" for i, r in enumerate(hv.itertuples(), start=1)]
    with _rc():
        fig = _figure(width, 1.6 + 0.45 * len(order) + 0.17 * len(key), layout=None)
        ax = fig.add_axes((0.17, 0.17 * len(key) / (1.6 + 0.45 * len(order) + 0.17 * len(key)) + 0.18, 0.8, 0.5))
        for d in order:
            sub = ev[ev["direction"] == d]
            ax.scatter(
                sub["when"],
                [ypos[d]] * len(sub),
                marker=styles[d][1],
                s=36,
                color=styles[d][0],
                edgecolor="white",
                linewidth=0.5,
                zorder=3,
            )
        lo, hi = ev["when"].min(), ev["when"].max()
        span = max((hi - lo).days, 1)
        ax.set_xlim(lo - pd.Timedelta(days=span * 0.03), hi + pd.Timedelta(days=span * 0.03))
        if len(hv):
            xs = [mdates.date2num(t) for t in hv["when"]]
            label_w = span * 0.035  # a one- or two-digit number at 8 pt, in days of the axis
            lanes = _lanes(xs, [label_w] * len(xs), span * 0.005)
            top = len(order) - 0.5
            for i, (r, lane) in enumerate(zip(hv.itertuples(), lanes, strict=True), start=1):
                y_label = top + 0.45 + 0.42 * lane
                ax.annotate(
                    str(i),
                    (r.when, ypos[r.direction]),
                    xytext=(r.when, y_label),
                    textcoords="data",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    fontweight="bold",
                    arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.5},
                )
            ax.set_ylim(-0.6, top + 0.9 + 0.42 * max(lanes))
        else:
            ax.set_ylim(-0.6, len(order) - 0.4)
        ax.set_yticks(range(len(order)), [DIRECTION_NAMES.get(d, d.replace("_", " ")) for d in order])
        ax.grid(axis="x", color="#dddddd", lw=0.6)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        ax.set_xlabel("announcement date (UTC)")
        for k, line in enumerate(key):
            fig.text(0.02, 0.02 + 0.17 * (len(key) - 1 - k) / fig.get_figheight(), line, fontsize=8, ha="left")
    return fig


def car_heatmap(
    frame: pd.DataFrame,
    row_groups: Sequence[str],
    style: GroupStyle,
    *,
    window_label: str = "[−1, 1]",
    clip: float = 0.2,
    width: float = 7.4,
) -> Any:
    """Firm × event CAR (rows firms, grouped; columns events), in %. Each group is named at the left beside a strip
    in its colour; the tickers stand at the right, so that the two never collide."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    nrow, ncol = frame.shape
    with _rc():
        fig = _figure(width, max(3.0, 0.16 * nrow + 2.2))
        ax = fig.add_subplot()
        cmap = colormaps["PuOr_r"].with_extremes(bad="#e6e6e6")
        values = np.ma.masked_invalid(frame.to_numpy(dtype=float) * 100)
        im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=-clip * 100, vmax=clip * 100, interpolation="none")
        ax.set_xticks(range(ncol), [str(c) for c in frame.columns], rotation=90, fontsize=8)
        ax.yaxis.tick_right()
        ax.set_yticks(range(nrow), [str(i) for i in frame.index], fontsize=8)
        ax.spines[:].set_visible(False)
        rg = list(row_groups)
        start = 0
        for k in range(1, nrow + 1):
            if k == nrow or rg[k] != rg[start]:
                g = rg[start]
                ax.add_patch(
                    Rectangle(
                        (-0.022, 1 - k / nrow),
                        0.012,
                        (k - start) / nrow,
                        transform=ax.transAxes,
                        color=style.colour(g),
                        clip_on=False,
                    )
                )
                ax.text(
                    -0.03,
                    1 - (start + k) / 2 / nrow,
                    style.label(g),
                    transform=ax.transAxes,
                    ha="right",
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                    color="#222222",
                )
                if k < nrow:
                    ax.axhline(k - 0.5, color="white", lw=1.5)
                start = k
        cb = fig.colorbar(im, ax=ax, location="top", fraction=0.025, pad=0.01, aspect=60)
        cb.set_label(f"CAR {window_label}, % (clipped at ±{clip * 100:.0f}); grey: no usable CAR")
    return fig


PLOT_KINDS = ("caar", "heatmap", "timeline")


def figure(results: Any, kind: str = "caar", *, event_id: str | None = None) -> Any:
    """One figure of the report from ``results``: ``"caar"``, ``"heatmap"`` or ``"timeline"``."""
    from .view import ReportView

    view = ReportView(results)
    event_id = event_id or view.head_id
    if kind == "caar":
        return caar_paths(view.paths, event_id, view.page1_groups, view.style)
    if kind == "heatmap":
        frame, rows = view.heatmap_frame()
        return car_heatmap(frame, rows, view.style)
    if kind == "timeline":
        return timeline(results.events, headline_ids=view.headline_ids, settings=view.settings)
    raise ValueError(f"plot: unknown kind {kind!r}; fix: use one of {', '.join(PLOT_KINDS)}")
