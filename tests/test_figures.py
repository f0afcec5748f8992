"""Tests of ldil2.figures: palette accessibility, closed figures, labels, deterministic output."""

import datetime
import io
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2 import efficacy, figures, stats


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
    figures.set_theme()
    return frame


def test_arm_palette_distinct_in_grey_scale():
    # WCAG relative luminance: dark blue vs light orange differ by more than 0.3, i.e. a
    # contrast ratio (L1 + 0.05)/(L2 + 0.05) above 3 (WCAG 2.1 minimum for graphics)
    dark, light = (figures.relative_luminance(figures.ARM_PALETTE[a]) for a in figures.ARM_ORDER)
    assert light - dark > 0.3
    assert (light + 0.05) / (dark + 0.05) > 3


def test_relative_luminance_reference_points():
    # WCAG: black 0, white 1, pure green 0.7152
    assert figures.relative_luminance("#000000") == 0
    assert figures.relative_luminance("#FFFFFF") == pytest.approx(1)
    assert figures.relative_luminance("#00FF00") == pytest.approx(0.7152)


def test_arm_palette_blue_versus_orange_hues():
    # a blue-orange pair is the colour-blind-safe contrast (Okabe & Ito 2008): the blue arm's
    # blue channel dominates, the orange arm's red channel dominates
    blue = figures.mpl.colors.to_rgb(figures.ARM_PALETTE[c.ARM_LDIL2])
    orange = figures.mpl.colors.to_rgb(figures.ARM_PALETTE[c.ARM_PLACEBO])
    assert blue[2] > blue[0] and orange[0] > orange[2]
    assert figures.ARM_ORDER == c.ARMS


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


def test_plot_forest_axis(table):
    comparisons = [stats.response_by_arm(table, "acr20", w, "per_protocol") for w in (12, 24)]
    fig = figures.plot_forest(comparisons)
    assert "percentage points" in fig.axes[0].get_xlabel()
    ax = fig.axes[0]
    positions = {
        t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
    }
    assert positions["ACR20 week 12"] > positions["ACR20 week 24"]  # first comparison on top


def test_plot_eular_stacked_bars_reach_100_percent():
    table = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 2,
            c.WEEK: [12] * 5,
            "eular": ["good", "moderate", "none", "none", "good"],
        }
    )
    fig = figures.plot_eular_stacked(efficacy.eular_shares(table))
    for ax in fig.axes[: len(c.ARMS)]:
        tops = [patch.get_y() + patch.get_height() for patch in ax.patches]
        assert max(tops) == pytest.approx(100.0)
        assert ax.get_xlabel() == "Week"
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
    def render():
        buffer = io.BytesIO()
        figures.plot_proportion_by_visit(table, "acr20").savefig(buffer, format=fmt)
        return buffer.getvalue()

    first, second = render(), render()
    assert first == second
    if fmt == "svg":
        # set_theme sets SOURCE_DATE_EPOCH (0 when unset): the SVG date is that, not today
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
        date = datetime.datetime.fromtimestamp(epoch, datetime.UTC).isoformat()
        assert f"<dc:date>{date}</dc:date>".encode() in first
