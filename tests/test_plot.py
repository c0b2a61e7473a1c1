"""Plots: optional ax, return the Axes, draw what the tables say, never show."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from fake_summary import empty_summary, fake_summary  # noqa: E402
from needsassess import figures  # noqa: E402

PLOTS = ["plot_top_topics", "plot_heatmap", "plot_ratings", "plot_delivery"]


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def summary():
    return fake_summary(6, long_answer=False)


@pytest.mark.parametrize("name", PLOTS)
def test_draws_on_the_given_axes_and_returns_them(summary, name):
    fig, ax = plt.subplots()
    assert getattr(summary, name)(ax=ax) is ax
    assert ax.get_title()


@pytest.mark.parametrize("name", PLOTS)
def test_makes_its_own_figure_without_ax(summary, name):
    ax = getattr(summary, name)()
    assert ax.figure is not None and ax.get_title()


@pytest.mark.parametrize("name", PLOTS)
def test_an_empty_result_gives_a_labelled_empty_plot(name):
    ax = getattr(empty_summary(), name)()
    assert ax.get_title() and [t.get_text() for t in ax.texts]


def test_top_topics_bars_are_the_ranked_lea_counts(summary):
    ax = summary.plot_top_topics(n=5)
    widths = [p.get_width() for p in ax.patches]
    top = figures.top_topics(summary.topics, 5)
    assert widths == top["n_leas"].astype(float).tolist()
    assert [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()] == top["label"].tolist()


def test_heatmap_has_a_cell_per_lea_and_topic(summary):
    ax = summary.plot_heatmap()
    (image,) = ax.images
    matrix = figures.lea_topic_matrix(summary.lea_topics, summary.topics, summary.leas)
    assert image.get_array().shape == matrix.shape
    assert np.ma.count(image.get_array()) == int(matrix.notna().sum().sum())


def test_ratings_shares_add_up_to_one_per_area(summary):
    ax = summary.plot_ratings()
    n_areas = len(ax.get_yticks())
    totals = np.zeros(n_areas)
    for p in ax.patches:
        totals[round(p.get_y() + p.get_height() / 2)] += p.get_width()
    assert np.allclose(totals, 1.0)
    assert len(ax.get_legend().get_texts()) == 4


def test_delivery_bars_count_plan_topics(summary):
    ax = summary.plot_delivery()
    assert sum(p.get_width() for p in ax.patches) == len(summary.tta_plan)
