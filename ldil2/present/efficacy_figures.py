"""Figures of the efficacy chapters: responses and mean changes by visit, individual changes, the
forest plot of risk differences, core-set components and EULAR categories.

Every plot returns a matplotlib Figure already closed in pyplot
(:func:`ldil2.present.theme.finish`), in the book's theme (arm colours and markers of
:mod:`ldil2.present.theme`). The curves are drawn from the analysis table of one population; the
forest plot draws the risk differences of ARD rows (the numbers of the forest table beside it).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.derive.analysis import EULAR, EULAR_LEVELS, chg_col
from ldil2.present.labels import EULAR_CATEGORY_LABELS
from ldil2.present.theme import (
    ARM_MARKERS,
    ARM_ORDER,
    ARM_PALETTE,
    CONTENT_WIDTH_IN,
    WEEK_AXIS,
    arm_errorbars,
    figure_legend_above,
    finish,
    legend_above,
)
from ldil2.results.ard import Ard
from ldil2.stats.means import mean_by_visit
from ldil2.stats.proportions import wilson_ci


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def proportion_by_visit(table: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """Responders by arm and post-baseline week: arm, week, count, total, percent and the
    Wilson 95% CI in percent (missing responses left out)."""
    data = table[table[c.WEEK] > c.BASELINE_WEEK].dropna(subset=[endpoint])
    rows = []
    for (arm, week), values in data.groupby([c.ARM, c.WEEK])[endpoint]:
        p = wilson_ci(int(values.astype(bool).sum()), len(values))
        rows.append(
            {c.ARM: arm, c.WEEK: int(week), "count": p.count, "total": p.total}
            | {"percent": 100 * p.estimate, "ci_low": 100 * p.ci_low, "ci_high": 100 * p.ci_high}
        )
    return pd.DataFrame(rows)


def plot_proportion_by_visit(
    table: pd.DataFrame, endpoint: str, ylabel: str | None = None
) -> Figure:
    """Responders (%) with Wilson 95% CIs by arm and post-baseline visit.

    Parameters
    ----------
    table : analysis rows of one population (subject_id, arm, week, `endpoint`)
    endpoint : a boolean response column, e.g. "acr20"
    ylabel : y-axis label with its unit (default "<ENDPOINT> response (% of participants)")
    """
    frame = proportion_by_visit(table, endpoint)
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    arm_errorbars(ax, frame, "percent", "ci_low", "ci_high")
    ax.set_ylim(0, 100)
    ax.set_ylabel(ylabel or f"{endpoint.upper()} response (% of participants)")
    legend_above(ax)
    return finish(fig)


def plot_mean_change_by_visit(
    table: pd.DataFrame, columns: str | Sequence[str], labels: str | Sequence[str]
) -> Figure:
    """Mean change with t-based 95% CIs by arm and post-baseline visit, one panel per column,
    panels stacked (one above the other, shared week axis) so each keeps the column's width.

    Parameters
    ----------
    table : analysis rows of one population
    columns : change columns, e.g. ["chg_cdai", "chg_sdai"]
    labels : y-axis label of each panel, with unit, e.g. "Change in CDAI (points)"
    """
    columns, labels = _as_list(columns), _as_list(labels)
    fig, axes = plt.subplots(
        len(columns), 1, figsize=(6.0, 0.4 + 3.0 * len(columns)), sharex=True, squeeze=False
    )
    for ax, column, label in zip(axes[:, 0], columns, labels, strict=True):
        arm_errorbars(ax, mean_by_visit(table, column), "mean", "ci_low", "ci_high")
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_ylabel(label)
        ax.set_xlabel("")
    axes[-1][0].set_xlabel(WEEK_AXIS)
    legend_above(axes[0][0])
    return finish(fig)


def plot_individual_change(
    table: pd.DataFrame,
    columns: str | Sequence[str],
    labels: str | Sequence[str],
    week: int = c.LAST_WEEK,
) -> Figure:
    """Each participant's value at one visit (jittered points) with the arm mean (bar), one
    panel per column; deterministic jitter (seeded)."""
    columns, labels = _as_list(columns), _as_list(labels)
    at_week = table[table[c.WEEK] == week]
    width = min(CONTENT_WIDTH_IN, 3.4 * len(columns))
    fig, axes = plt.subplots(1, len(columns), figsize=(width, 4), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, column, label in zip(axes[0], columns, labels, strict=True):
        for position, arm in enumerate(ARM_ORDER):
            values = at_week.loc[at_week[c.ARM] == arm, column].dropna().astype(float)
            jitter = rng.uniform(-0.15, 0.15, len(values))
            ax.scatter(position + jitter, values, color=ARM_PALETTE[arm], alpha=0.8,
                       marker=ARM_MARKERS[arm], edgecolor="0.2", linewidth=0.5)  # fmt: skip
            if len(values):
                ax.hlines(values.mean(), position - 0.3, position + 0.3, color="0.1", linewidth=2)
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_xticks(range(len(ARM_ORDER)), [c.ARM_LABELS[a] for a in ARM_ORDER])
        ax.set_ylabel(label)
        ax.set_title(f"Week {week}")
    return finish(fig)


def plot_forest(
    ard: Ard, differences: Sequence[str], labels: Sequence[str] | None = None
) -> Figure:
    """Risk differences (Ld-IL2 minus placebo, percentage points) with their 95% CIs, read from
    the ARD results `differences` (result_ids of ``difference_newcombe`` rows).

    `labels` default to "<endpoint label> week <w>" of each row; the first is drawn at the top.
    """
    rows = [ard.row(rid, "estimate") for rid in differences]
    if labels is None:
        labels = [f"{row.endpoint_label} week {row.week}" for row in rows]
    d = np.array(
        [[ard.get(rid, stat) for stat in ("estimate", "lcl", "ucl")] for rid in differences]
    )
    fig, ax = plt.subplots(figsize=(CONTENT_WIDTH_IN, 0.45 * len(differences) + 1.5))
    y = np.arange(len(differences))[::-1]
    ax.errorbar(d[:, 0], y, xerr=[d[:, 0] - d[:, 1], d[:, 2] - d[:, 0]], fmt="o",
                color=ARM_PALETTE[c.ARM_LDIL2], capsize=3)  # fmt: skip
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_yticks(y, list(labels))
    ax.set_xlabel("Difference, Ld-IL2 + MTX minus Placebo + MTX\n(percentage points)")
    return finish(fig)


def plot_components(table: pd.DataFrame, components: Sequence[tuple[str, str]]) -> Figure:
    """Mean change from baseline (95% t-interval) of several measures by visit and arm, one
    panel per measure, two panels a row at the column's width (2.2 in a row of panels, so each
    panel is as legible as a figure of its own), one legend above all panels.

    Parameters
    ----------
    table : analysis rows of one population with the change columns ``chg_<measure>``
    components : (measure column, panel title with its unit), e.g. ("tjc28", "Tender joints
        (of 28)"); the change of each is plotted (:func:`ldil2.stats.means.mean_by_visit`)
    """
    nrows = -(-len(components) // 2)
    height = 0.6 + 2.2 * nrows
    fig, axes = plt.subplots(
        nrows, 2, figsize=(CONTENT_WIDTH_IN, height), sharex=True, squeeze=False
    )
    for ax, (column, label) in zip(axes.flat, components, strict=False):
        means = mean_by_visit(table, chg_col(column))
        arm_errorbars(ax, means, "mean", "ci_low", "ci_high", markersize=5, capsize=2)
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_title(label)
        ax.set_xlabel("")
    for ax in axes[-1]:
        ax.set_xlabel(WEEK_AXIS)
        ax.set_xticks(range(0, c.LAST_WEEK + 1, 4))  # every visit would crowd a half-width panel
    fig.supylabel("Mean change from baseline (unit in each panel title)")
    for ax in axes.flat[len(components) :]:
        ax.set_axis_off()
    figure_legend_above(fig, axes.flat[0])
    return finish(fig, top=1 - 0.45 / height)


EULAR_SHADES: dict[str, str] = dict(
    zip(EULAR_LEVELS, ("#08306b", "#6baed6", "#deebf7"), strict=True)
)
"""Blues, good response darkest (distinct in grey scale)."""


def plot_eular_stacked(shares: pd.DataFrame) -> Figure:
    """Stacked bars of the EULAR categories (% of participants with a value) by visit, one panel
    per arm; good response darkest.

    Parameters
    ----------
    shares : one row per arm, week and EULAR category with ``percent`` (the output of
        :func:`ldil2.book.secondary.eular_shares`)
    """
    fig, axes = plt.subplots(1, len(ARM_ORDER), figsize=(CONTENT_WIDTH_IN, 4.0), sharey=True)
    for ax, arm in zip(axes, ARM_ORDER, strict=True):
        part = shares[shares[c.ARM] == arm].pivot(index=c.WEEK, columns=EULAR, values="percent")
        bottom = np.zeros(len(part))
        positions = np.arange(len(part))
        for level in EULAR_LEVELS:
            heights = part[level].to_numpy() if level in part else np.zeros(len(part))
            ax.bar(positions, heights, bottom=bottom, color=EULAR_SHADES[level], edgecolor="0.3",
                   linewidth=0.5, label=EULAR_CATEGORY_LABELS[level])  # fmt: skip
            bottom += heights
        ax.set_xticks(positions, [str(w) for w in part.index])
        ax.set_title(c.ARM_LABELS[arm])
        ax.set_xlabel(WEEK_AXIS)
    axes[0].set_ylabel("Participants (%)")
    figure_legend_above(fig, axes[0])
    return finish(fig, top=0.9)
