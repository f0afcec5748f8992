"""Tests of ldil2.present.efficacy_figures: closed figures, labels, values drawn (checked with
pandas, independently of ldil2.stats), and the forest plot drawn from ARD rows."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import assert_figure_output_deterministic

from ldil2 import contract as c
from ldil2.book.secondary import eular_shares
from ldil2.present import efficacy_figures as figures
from ldil2.present.theme import WEEK_AXIS, set_theme
from ldil2.results.ard import Ard
from ldil2.stats.proportions import response_by_arm


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(3)
    rows = []
    for i in range(12):
        arm = c.ARM_LDIL2 if i % 2 else c.ARM_PLACEBO
        for week in (0, 12, 24):
            rows.append(
                {
                    c.SUBJECT_ID: f"S{i}",
                    c.ARM: arm,
                    c.WEEK: week,
                    "acr20": pd.NA if week == 0 else bool(rng.random() < 0.5),
                    "chg_cdai": 0.0 if week == 0 else float(rng.normal(-8, 5)),
                    c.PER_PROTOCOL: True,
                }
            )
    frame = pd.DataFrame(rows)
    frame["acr20"] = frame["acr20"].astype("boolean")
    set_theme()
    return frame


def test_plot_proportion_by_visit_values_labels_and_closed(table):
    fig = figures.plot_proportion_by_visit(table, "acr20")
    assert fig.number not in plt.get_fignums()
    ax = fig.axes[0]
    assert "%" in ax.get_ylabel() and "Week" in ax.get_xlabel()
    frame = figures.proportion_by_visit(table, "acr20")
    expected = table[table[c.WEEK] == 12].groupby(c.ARM)["acr20"].mean() * 100
    got = frame[frame[c.WEEK] == 12].set_index(c.ARM)["percent"]
    assert got[c.ARM_LDIL2] == pytest.approx(expected[c.ARM_LDIL2])


def test_plot_mean_change_and_individual(table):
    fig = figures.plot_mean_change_by_visit(table, ["chg_cdai"], ["Change in CDAI (points)"])
    assert fig.axes[0].get_ylabel() == "Change in CDAI (points)"
    fig = figures.plot_individual_change(table, "chg_cdai", "Change in CDAI (points)", week=24)
    assert fig.axes[0].get_title() == "Week 24"
    assert fig.number not in plt.get_fignums()


def _forest_ard(table):
    ard = Ard("test")
    ids = [
        ard.binary_comparison(response_by_arm(table, "acr20", w, "per_protocol"), "ACR20")
        for w in (12, 24)
    ]
    return ard, [i["difference"] for i in ids]


def test_plot_forest_axis(table):
    ard, differences = _forest_ard(table)
    fig = figures.plot_forest(ard, differences)
    assert "percentage points" in fig.axes[0].get_xlabel()
    ax = fig.axes[0]
    positions = {
        t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
    }
    assert positions["ACR20 week 12"] > positions["ACR20 week 24"]  # first comparison on top


def test_plot_forest_draws_the_ard_rows(table):
    ard, differences = _forest_ard(table)
    # replace the week-24 estimate: the plotted point moves with the row
    moved = Ard("test")
    for row in ard.rows():
        hit = row.key == (differences[1], "estimate")
        moved.add(dataclasses.replace(row, value=12.5) if hit else row)
    fig = figures.plot_forest(moved, differences, labels=["a", "b"])
    points = fig.axes[0].lines[0].get_xdata()
    assert points[0] == pytest.approx(ard.get(differences[0], "estimate"))
    assert points[1] == pytest.approx(12.5)
    ax = fig.axes[0]
    positions = {
        t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
    }
    assert positions["a"] > positions["b"]


def test_plot_eular_stacked_bars_reach_100_percent():
    table = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 2,
            c.WEEK: [12] * 5,
            "eular": ["good", "moderate", "none", "none", "good"],
        }
    )
    fig = figures.plot_eular_stacked(eular_shares(table))
    for ax in fig.axes[: len(c.ARMS)]:
        tops = [patch.get_y() + patch.get_height() for patch in ax.patches]
        assert max(tops) == pytest.approx(100.0)
        assert ax.get_xlabel() == WEEK_AXIS
    assert fig.axes[0].get_ylabel() == "Participants (%)"


def test_plot_components_one_panel_per_measure_with_mean_change(table):
    components = [("cdai", "CDAI (points)"), ("cdai", "Again (points)"), ("cdai", "Third")]
    fig = figures.plot_components(table, components)
    assert fig.number not in plt.get_fignums()
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == ["CDAI (points)", "Again (points)", "Third"]
    assert len(fig.axes) == 4 and not fig.axes[3].axison  # 2 rows x 2 columns, one unused
    # the Ld-IL2 points are the week means of chg_cdai (pandas groupby, independent of stats)
    expected = table[table[c.WEEK] > 0].groupby([c.ARM, c.WEEK])["chg_cdai"].mean()
    line = fig.axes[0].lines[0]
    assert line.get_ydata() == pytest.approx(expected[c.ARM_LDIL2].to_numpy())


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_figure_output_is_deterministic(table, fmt):
    def draw():
        return figures.plot_proportion_by_visit(table, "acr20")

    assert_figure_output_deterministic(draw, fmt)
