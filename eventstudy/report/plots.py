"""Figures of the report (matplotlib, Agg backend). They draw numbers read from results frames; no statistics.

Colours are the Okabe–Ito palette, readable with the common colour-vision deficiencies. Every function returns a
matplotlib ``Figure``; :func:`to_png` turns one into PNG bytes and :func:`data_uri` into an ``<img>`` source.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pandas as pd

__all__ = ["figure", "OKABE_ITO", "DIRECTION_COLOURS", "timeline", "caar_paths", "car_heatmap", "to_png", "data_uri"]

OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}

DIRECTION_COLOURS = {
    "escalation": OKABE_ITO["vermillion"],
    "deescalation": OKABE_ITO["blue"],
    "industrial_policy": OKABE_ITO["green"],
}
DIRECTION_MARKERS = {"escalation": "^", "deescalation": "v", "industrial_policy": "s"}

_RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def to_png(fig: Any, dpi: int = 150) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def timeline(events: pd.DataFrame, *, headline_event: str | None = None) -> Any:
    """Events on the calendar: one row per direction, colour by direction, headline events labelled."""
    plt = _plt()
    with plt.rc_context(_RC):
        ev = events.copy()
        ev["when"] = pd.to_datetime(ev["announced_at_utc"]).dt.tz_convert(None)
        order = [d for d in DIRECTION_COLOURS if d in set(ev["direction"])]
        order += sorted(set(ev["direction"]) - set(order))
        ypos = {d: i for i, d in enumerate(order)}
        fig, ax = plt.subplots(figsize=(10, 1.2 + 0.9 * len(order)))
        for d in order:
            sub = ev[ev["direction"] == d]
            ax.scatter(
                sub["when"],
                [ypos[d]] * len(sub),
                marker=DIRECTION_MARKERS.get(d, "o"),
                s=60,
                color=DIRECTION_COLOURS.get(d, OKABE_ITO["black"]),
                edgecolor="white",
                linewidth=0.5,
                label=d.replace("_", " "),
                zorder=3,
            )
        heads = ev[ev["headline"].astype(bool)].sort_values("when")
        for i, r in enumerate(heads.itertuples()):
            y = ypos[r.direction]
            offset = 14 if i % 2 == 0 else -20
            weight = "bold" if r.event_id == headline_event else "normal"
            ax.annotate(
                str(r.title)[:38],
                (r.when, y),
                xytext=(0, offset),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                fontweight=weight,
                arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.6},
            )
        ax.set_yticks(range(len(order)), [d.replace("_", " ") for d in order])
        ax.set_ylim(-0.8, len(order) - 0.2)
        ax.grid(axis="x", color="#dddddd", lw=0.6)
        ax.set_title("Events by announcement date (UTC); headline events labelled")
        fig.autofmt_xdate()
        fig.tight_layout()
    return fig


def caar_paths(
    aar: pd.DataFrame, caar: pd.DataFrame, event_id: str, groups: list[str], *, labels=None, colours=None
) -> Any:
    """CAAR paths over the event window, one panel per group, with the 95 % band of the cumulated CAAR.

    The path and its band are ``aar_table``'s ``caar``, ``ci_low`` and ``ci_high`` (cumulated from the window's
    start; cross-sectional t interval on every day). ``caar`` is accepted for the signature's stability.
    """
    plt = _plt()
    labels = labels or {}
    colours = colours or {}
    a = aar[aar["event_id"] == event_id]
    groups = [g for g in groups if g in set(a["group"])]
    with plt.rc_context(_RC):
        ncol = min(3, max(1, len(groups)))
        nrow = max(1, -(-len(groups) // ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.6 * nrow), sharex=True, squeeze=False)
        for ax in axes.ravel()[len(groups) :]:
            ax.set_visible(False)
        for ax, g in zip(axes.ravel(), groups, strict=False):
            p = a[a["group"] == g].sort_values("event_day")
            ax.axhline(0, color="#999999", lw=0.6)
            ax.axvline(0, color="#999999", lw=0.6, ls=":")
            if {"ci_low", "ci_high"} <= set(p.columns):
                ax.fill_between(
                    p["event_day"],
                    p["ci_low"] * 100,
                    p["ci_high"] * 100,
                    color=colours.get(g, OKABE_ITO["sky"]),
                    alpha=0.25,
                    lw=0,
                )
            ax.plot(
                p["event_day"], p["caar"] * 100, color=colours.get(g, OKABE_ITO["blue"]), lw=1.6, marker="o", ms=2.5
            )
            n = int(p["nobs"].iloc[0]) if len(p) else 0
            ax.set_title(f"{labels.get(g, g)} (N = {n})")
            ax.set_ylabel("CAAR, %")
            ax.grid(color="#eeeeee", lw=0.5)
        for ax in axes[-1]:
            ax.set_xlabel("event day")
        fig.suptitle(f"CAAR path, {event_id}, cumulated from day −10, with its 95 % band", fontsize=10)
        fig.tight_layout()
    return fig


def car_heatmap(frame: pd.DataFrame, *, window_label: str = "[−1, 1]", clip: float = 0.2) -> Any:
    """Firm × event CAR (rows firms, columns events) as a diverging heatmap, in %; blank where not usable."""
    plt = _plt()
    import numpy as np

    with plt.rc_context(_RC):
        nrow, ncol = frame.shape
        fig, ax = plt.subplots(figsize=(max(8, 0.28 * ncol + 3), max(4, 0.2 * nrow + 2)))
        cmap = plt.get_cmap("PuOr_r").copy()
        cmap.set_bad("#f2f2f2")
        values = np.ma.masked_invalid(frame.to_numpy(dtype=float) * 100)
        im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=-clip * 100, vmax=clip * 100, interpolation="none")
        ax.set_xticks(range(ncol), [str(c) for c in frame.columns], rotation=70, ha="right", fontsize=7)
        ax.set_yticks(range(nrow), [str(i) for i in frame.index], fontsize=7)
        ax.spines[:].set_visible(False)
        cb = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01)
        cb.set_label(f"CAR {window_label}, % (clipped at ±{clip * 100:.0f})")
        ax.set_title(f"CAR {window_label} by firm and event (grey: not usable)")
        fig.tight_layout()
    return fig


PLOT_KINDS = ("caar", "heatmap", "timeline")


def figure(results: Any, kind: str = "caar", *, event_id: str | None = None) -> Any:
    """One figure of the report from ``results``: ``"caar"``, ``"heatmap"`` or ``"timeline"``."""
    from .html import _present_groups, heatmap_table

    event_id = event_id or results.settings.get("headline_event") or str(results.events["event_id"].iloc[0])
    if kind == "caar":
        groups = _present_groups(results)
        settings = results.settings
        return caar_paths(
            results.aar_table,
            results.caar_table,
            event_id,
            groups,
            labels=settings.get("group_labels"),
            colours=settings.get("group_colours"),
        )
    if kind == "heatmap":
        return car_heatmap(heatmap_table(results))
    if kind == "timeline":
        return timeline(results.events, headline_event=event_id)
    raise ValueError(f"plot: unknown kind {kind!r}; fix: use one of {', '.join(PLOT_KINDS)}")
