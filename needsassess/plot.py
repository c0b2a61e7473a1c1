"""Plots of a statewide summary (matplotlib).

Each function takes a :class:`~needsassess.summary.Summary` and an optional
matplotlib ``ax``, draws on it (a new figure when ``ax`` is None), and
returns the Axes.  None calls ``plt.show()``.  matplotlib is imported only
here, inside the functions, so the command line never loads it.  The data
come from :mod:`needsassess.figures`, as on the workbook's Overview sheet.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from . import figures

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _empty(ax: Axes, title: str, message: str) -> Axes:
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#595959")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _charts() -> dict[str, Any]:
    return figures.load_layout()["overview"]["charts"]


def _areas(summary: Any) -> dict[str, str]:
    return {k: a.name for k, a in summary.template.areas.items()}


def plot_top_topics(summary: Any, ax: Axes | None = None, n: int = 15) -> Axes:
    """Horizontal bars: LEAs showing each of the ``n`` best-ranked topics.

    Examples
    --------
    >>> ax = summary.plot_top_topics(n=10)  # doctest: +SKIP
    """
    spec = _charts()["top_topics"]
    top = figures.top_topics(summary.topics, n)
    ax = _axes(ax, (8, 0.35 * max(len(top), 4) + 1.2))
    title = spec["title"].format(n=len(top))
    if top.empty:
        return _empty(ax, title, "No topics were found.")
    labels = ["\n".join(textwrap.wrap(str(lab), 45)) or str(lab) for lab in top["label"]]
    y = np.arange(len(top))
    bars = ax.barh(y, top["n_leas"].astype(float), color=spec.get("colour", "#2E75B6"))
    ax.bar_label(bars, fmt="%d", padding=3, fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(spec.get("x_title", "LEAs"))
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_heatmap(summary: Any, ax: Axes | None = None) -> Axes:
    """Heat map: LEAs down, topics across (best rank left), darker = larger gap."""
    conf = figures.load_layout()["matrix"]
    matrix = figures.lea_topic_matrix(summary.lea_topics, summary.topics, summary.leas,
                                      value=conf.get("value", "gap"))
    n_leas, n_topics = matrix.shape
    ax = _axes(ax, (min(2 + 0.35 * n_topics, 18), min(1.5 + 0.22 * max(n_leas, 4), 24)))
    title = "LEA x topic"
    if n_leas == 0 or n_topics == 0:
        return _empty(ax, title, "No LEA shows any topic.")
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("gap", conf.get("colours", ["#FFFFFF", "#F8CBAD", "#C00000"]))
    cmap = cmap.with_extremes(bad="#F2F2F2")
    values = np.ma.masked_invalid(matrix.to_numpy(dtype=float))
    image = ax.imshow(values, aspect="auto", cmap=cmap, interpolation="nearest")
    names = figures.lea_names(summary.leas)
    labels = figures.topic_labels(summary.topics)
    ax.set_xticks(np.arange(n_topics), [textwrap.shorten(labels.get(t, t), 40) for t in matrix.columns],
                  rotation=60, ha="right", fontsize=7)
    ax.set_yticks(np.arange(n_leas), [names.get(f, f) for f in matrix.index], fontsize=7)
    ax.figure.colorbar(image, ax=ax, label=figures.load_layout()["columns"].get("gap", {}).get("label", "Gap"),
                       shrink=0.6)
    ax.set_title(title)
    return ax


def plot_ratings(summary: Any, ax: Axes | None = None) -> Axes:
    """Stacked bars: the share of capacity ratings 1-4 in each area."""
    spec = _charts()["ratings_by_area"]
    ax = _axes(ax, (7, 4))
    template = summary.template
    scale = sorted(template.capacity_scale) or [1, 2, 3, 4]
    data = figures.ratings_by_area(summary.ratings, _areas(summary), scale)
    data = data[data["n"] > 0]
    if data.empty:
        return _empty(ax, spec["title"], "No capacity ratings were found.")
    colours = spec.get("colours", [])
    left = np.zeros(len(data))
    y = np.arange(len(data))
    for i, s in enumerate(scale):
        share = data[s].to_numpy(dtype=float) / data["n"].to_numpy(dtype=float)
        words = template.capacity_scale.get(s) or ()
        ax.barh(y, share, left=left, color=colours[i % len(colours)] if colours else None,
                label=f"{s} {words[0]}" if words else str(s))
        left += share
    ax.set_yticks(y, [f"{name}\n(n = {n})" for name, n in zip(data["area_name"], data["n"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel(spec.get("y_title", "Share of ratings"))
    ax.set_title(spec["title"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=len(scale), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_delivery(summary: Any, ax: Axes | None = None) -> Axes:
    """Bars: topics of the T/TA plan per delivery, with the LEAs they reach."""
    spec = _charts()["delivery"]
    ax = _axes(ax, (7, 3.5))
    mix = figures.delivery_mix(summary.tta_plan)
    if mix.empty:
        return _empty(ax, spec["title"], "The T/TA plan is empty.")
    colours = spec.get("colours", []) or [None]
    y = np.arange(len(mix))
    bars = ax.barh(y, mix["topics"].astype(float), color=[colours[i % len(colours)] for i in range(len(mix))])
    ax.bar_label(bars, labels=[f"{int(t)} topics, {int(n)} LEA places" for t, n in zip(mix["topics"], mix["leas"])],
                 padding=3, fontsize=8)
    ax.set_yticks(y, [str(d) for d in mix["delivery"]], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel(spec.get("series", "Topics"))
    ax.set_xlim(0, float(mix["topics"].max()) * 1.6)
    ax.set_title(spec["title"])
    ax.spines[["top", "right"]].set_visible(False)
    return ax


__all__ = ["plot_top_topics", "plot_heatmap", "plot_ratings", "plot_delivery"]
