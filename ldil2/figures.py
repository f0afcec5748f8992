"""Figures of the book: one seaborn theme, one colour-blind-safe arm palette, generic plots.

Every plot function returns a matplotlib Figure that is already closed in pyplot (so a notebook
does not show it twice: glue it or display it once). Axis labels carry units. Output is
deterministic: :func:`set_theme` fixes the SVG id salt and the metadata date (SOURCE_DATE_EPOCH),
and PNG output carries no timestamp.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.derive import EULAR, EULAR_LEVELS, chg_col
from ldil2.stats import BinaryComparison, mean_by_visit, wilson_ci

ARM_ORDER: tuple[str, ...] = c.ARMS
"""Arms in the order of legends, tables and colours: Ld-IL2 first."""

ARM_PALETTE: dict[str, str] = {c.ARM_LDIL2: "#0F4C81", c.ARM_PLACEBO: "#F5A65B"}
"""Dark blue (Ld-IL2) vs light orange (placebo): a blue-orange pair stays distinct in the
common colour-vision deficiencies, and the relative luminances (about 0.07 vs 0.50) keep the arms
apart in grey scale (checked in tests/test_figures.py)."""

ARM_MARKERS: dict[str, str] = {c.ARM_LDIL2: "o", c.ARM_PLACEBO: "s"}
"""A second cue besides colour."""

_DODGE = {c.ARM_LDIL2: -0.25, c.ARM_PLACEBO: 0.25}  # weeks: keep error bars apart


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance (0 = black, 1 = white) of a colour.

    References
    ----------
    W3C, Web Content Accessibility Guidelines 2.1, definition "relative luminance".
    """
    rgb = np.array(mpl.colors.to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def set_theme() -> None:
    """Apply the book's one theme: seaborn whitegrid, notebook context, the arm palette first,
    and deterministic SVG output (fixed id salt; metadata date from SOURCE_DATE_EPOCH, set to 0
    when unset)."""
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=[ARM_PALETTE[arm] for arm in ARM_ORDER],
        rc={"figure.dpi": 100, "savefig.dpi": 100, "svg.hashsalt": "ldil2"},
    )
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def _finish(fig: Figure) -> Figure:
    fig.tight_layout()
    plt.close(fig)
    return fig


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


def _arm_errorbars(ax: Any, frame: pd.DataFrame, y: str, low: str, high: str, **style: Any) -> None:
    """One dodged error-bar line per arm (arm colour and marker); `style` overrides
    matplotlib errorbar keywords (default capsize 3)."""
    for arm in ARM_ORDER:
        part = frame[frame[c.ARM] == arm].sort_values(c.WEEK)
        if part.empty:
            continue
        ax.errorbar(
            part[c.WEEK] + _DODGE[arm],
            part[y],
            yerr=[part[y] - part[low], part[high] - part[y]],
            color=ARM_PALETTE[arm],
            marker=ARM_MARKERS[arm],
            label=c.ARM_LABELS[arm],
            **{"capsize": 3, **style},
        )
    ax.set_xlabel("Week since randomization")
    ax.set_xticks(sorted(frame[c.WEEK].unique()))


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
    fig, ax = plt.subplots(figsize=(7, 4))
    _arm_errorbars(ax, frame, "percent", "ci_low", "ci_high")
    ax.set_ylim(0, 100)
    ax.set_ylabel(ylabel or f"{endpoint.upper()} response (% of participants)")
    ax.legend(title=None, loc="lower right")
    return _finish(fig)


def plot_mean_change_by_visit(
    table: pd.DataFrame, columns: str | Sequence[str], labels: str | Sequence[str]
) -> Figure:
    """Mean change with t-based 95% CIs by arm and post-baseline visit, one panel per column.

    Parameters
    ----------
    table : analysis rows of one population
    columns : change columns, e.g. ["chg_cdai", "chg_sdai"]
    labels : y-axis label of each panel, with unit, e.g. "Change in CDAI (points)"
    """
    columns, labels = _as_list(columns), _as_list(labels)
    fig, axes = plt.subplots(1, len(columns), figsize=(6 * len(columns), 4), squeeze=False)
    for ax, column, label in zip(axes[0], columns, labels, strict=True):
        _arm_errorbars(ax, mean_by_visit(table, column), "mean", "ci_low", "ci_high")
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_ylabel(label)
    axes[0][0].legend(title=None)
    return _finish(fig)


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
    fig, axes = plt.subplots(1, len(columns), figsize=(4 * len(columns), 4), squeeze=False)
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
    return _finish(fig)


def plot_forest(
    comparisons: Sequence[BinaryComparison], labels: Sequence[str] | None = None
) -> Figure:
    """Risk differences (Ld-IL2 minus placebo, percentage points) with Newcombe 95% CIs.

    `labels` default to "<ENDPOINT> week <w>"; the first comparison is drawn at the top.
    """
    labels = list(labels) if labels is not None else [
        f"{cmp.endpoint.upper()} week {cmp.week}" for cmp in comparisons
    ]  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(comparisons) + 1.5))
    y = np.arange(len(comparisons))[::-1]
    d = np.array([[x.difference.estimate, x.difference.ci_low, x.difference.ci_high]
                  for x in comparisons]) * 100  # fmt: skip
    ax.errorbar(d[:, 0], y, xerr=[d[:, 0] - d[:, 1], d[:, 2] - d[:, 0]], fmt="o",
                color=ARM_PALETTE[c.ARM_LDIL2], capsize=3)  # fmt: skip
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel("Difference, Ld-IL2 + MTX minus placebo + MTX (percentage points)")
    return _finish(fig)


def plot_components(table: pd.DataFrame, components: Sequence[tuple[str, str]]) -> Figure:
    """Mean change from baseline (95% t-interval) of several measures by visit and arm, one small
    panel per measure, in a grid of two rows.

    Parameters
    ----------
    table : analysis rows of one population with the change columns ``chg_<measure>``
    components : (measure column, panel title with its unit), e.g. ("tjc28", "Tender joints
        (of 28)"); the change of each is plotted (:func:`ldil2.stats.mean_by_visit`)
    """
    ncols = (len(components) + 1) // 2
    fig, axes = plt.subplots(2, ncols, figsize=(3.2 * ncols, 6.4), sharex=True, squeeze=False)
    for ax, (column, label) in zip(axes.flat, components, strict=False):
        means = mean_by_visit(table, chg_col(column))
        _arm_errorbars(ax, means, "mean", "ci_low", "ci_high", markersize=4, capsize=2)
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("")
    for ax in axes[-1]:
        ax.set_xlabel("Week")
    fig.supylabel("Mean change from baseline (unit in each panel title)", fontsize=10)
    for ax in axes.flat[len(components) :]:
        ax.set_axis_off()
    axes.flat[0].legend(fontsize=8)
    return _finish(fig)


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
        :func:`ldil2.efficacy.eular_shares`)
    """
    fig, axes = plt.subplots(1, len(ARM_ORDER), figsize=(9.0, 3.6), sharey=True)
    for ax, arm in zip(axes, ARM_ORDER, strict=True):
        part = shares[shares[c.ARM] == arm].pivot(index=c.WEEK, columns=EULAR, values="percent")
        bottom = np.zeros(len(part))
        positions = np.arange(len(part))
        for level in EULAR_LEVELS:
            heights = part[level].to_numpy() if level in part else np.zeros(len(part))
            ax.bar(positions, heights, bottom=bottom, color=EULAR_SHADES[level], edgecolor="0.3",
                   linewidth=0.5, label=level.capitalize())  # fmt: skip
            bottom += heights
        ax.set_xticks(positions, [str(w) for w in part.index])
        ax.set_title(c.ARM_LABELS[arm])
        ax.set_xlabel("Week")
    axes[0].set_ylabel("Participants (%)")
    axes[-1].legend(title="EULAR response", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _finish(fig)
