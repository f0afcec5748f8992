"""Figures and tables of individual-level outputs: time to first response (Kaplan-Meier),
individual trajectories, the waterfall of week-24 changes and the subgroup forest plot.

Numbers shown as text (medians, differences, P values) are read from ARD rows and formatted by
:mod:`ldil2.present.format`; the curves and bars are drawn from the participants' data of one
population. Every figure is at most 7 inches wide (the content width) with text of 10 points or
more, and every time axis is in weeks with a tick at each visit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.derive.subgroups import SUBGROUPS
from ldil2.present.format import NOT_ESTIMABLE, format_n_percent, interval_text, p_cell
from ldil2.present.tables import HtmlTable
from ldil2.present.theme import ARM_MARKERS, ARM_ORDER, ARM_PALETTE, finish
from ldil2.results.ard import Ard

WEEK_AXIS = "Week since randomization"
NOT_REACHED = "not reached"
EXPLORATORY = (
    "Subgroups of this size are exploratory: each level holds a few participants, so the "
    "estimates are imprecise, the interaction tests have little power, and several subgroups "
    "tested at once will show an apparent difference by chance alone. No subgroup finding here "
    "should be read as a difference between kinds of patients."
)
"""The warning every subgroup output carries."""


def _weeks_axis(ax: Any, weeks: Sequence[int]) -> None:
    ax.set_xticks(sorted(int(w) for w in weeks))
    ax.set_xlabel(WEEK_AXIS)


def plot_time_to_response(result: Any, weeks: Sequence[int], label: str) -> Figure:
    """Cumulative share of participants with a first response (1 - Kaplan-Meier S(t), %) by
    week and arm, a step curve per arm.

    Parameters
    ----------
    result : :class:`ldil2.stats.survival.TimeToEvent`
    weeks : the visit weeks (x ticks)
    label : the response, e.g. "ACR20"
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    for arm in ARM_ORDER:
        km = result.arms[arm]
        x = np.concatenate([[0.0], km.times, [max(weeks)]])
        surv = np.concatenate([[1.0], km.survival])
        y = 100 * (1 - np.concatenate([surv, surv[-1:]]))
        ax.step(x, y, where="post", color=ARM_PALETTE[arm], label=c.ARM_LABELS[arm], linewidth=2)
        ax.plot(km.times, 100 * (1 - km.survival), linestyle="none", marker=ARM_MARKERS[arm],
                color=ARM_PALETTE[arm])  # fmt: skip
    ax.set_ylim(0, 100)
    ax.set_ylabel(f"First {label} response (% of participants)")
    _weeks_axis(ax, weeks)
    ax.legend(loc="lower right")
    return finish(fig)


def time_to_response_table(
    ard: Ard, ids: dict[str, str], title: str, footnote: Sequence[str]
) -> HtmlTable:
    """Per arm: events / participants, median weeks to first response (95% CI), and the
    log-rank P, from the rows of :func:`ldil2.results.individual.record_time_to_event`."""
    rows = []
    for arm in c.ARMS:
        r = ard.result(ids[arm])
        if math.isfinite(r["median"]):
            low = "NA" if math.isnan(r["lcl"]) else f"{r['lcl']:g}"
            high = NOT_REACHED if math.isnan(r["ucl"]) else f"{r['ucl']:g}"
            median = f"{r['median']:g} ({low} to {high})"
        else:
            median = NOT_REACHED
        rows.append((c.ARM_LABELS[arm], format_n_percent(int(r["n"]), int(r["N"])), median))
    p = p_cell(ard.get(ids["logrank"], "p"))
    header = (
        "Arm",
        "Participants with a response, n (%)",
        "Median weeks to response (95% CI)",
        "Log-rank P",
    )
    rows = [(*row, p if i == 0 else "") for i, row in enumerate(rows)]
    return HtmlTable(title, header, tuple(rows), tuple(footnote))


def means_frame(ard: Ard, ids: dict[tuple[str, int], str]) -> pd.DataFrame:
    """arm, week and mean of the ARD results `ids` ((arm, week) -> result_id)."""
    rows = [
        {c.ARM: arm, c.WEEK: week, "mean": ard.get(rid, "mean")} for (arm, week), rid in ids.items()
    ]
    return pd.DataFrame(rows, columns=[c.ARM, c.WEEK, "mean"])


def participant_lines(part: pd.DataFrame, x: str, y: str) -> list[np.ndarray]:
    """One (x, y) vertex array per participant of `part`, participants sorted by id, each
    participant's rows in table order: the lines of a
    :class:`matplotlib.collections.LineCollection` (one artist for every participant)."""
    rows = part.sort_values(c.SUBJECT_ID, kind="stable")
    ids = rows[c.SUBJECT_ID].to_numpy()
    cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return np.split(rows[[x, y]].to_numpy(dtype=float), cuts)


def plot_trajectories(
    table: pd.DataFrame,
    columns: Sequence[str],
    labels: Sequence[str],
    means: Sequence[pd.DataFrame],
) -> Figure:
    """Each participant's values by week (thin lines) with the arm mean (thick line, markers),
    one row per measure and one column per arm, on a shared y axis per measure.

    Parameters
    ----------
    table : analysis rows of one population (subject_id, arm, week and `columns`)
    columns : measured values, e.g. ["das28_esr", "cdai"]
    labels : y-axis label of each, with its unit
    means : per column, the arm means by week (:func:`means_frame`)
    """
    weeks = sorted(int(w) for w in table[c.WEEK].unique())
    fig, axes = plt.subplots(len(columns), len(ARM_ORDER), figsize=(7, 3.2 * len(columns)),
                             sharex=True, sharey="row", squeeze=False)  # fmt: skip
    for row, (column, label, mean_rows) in enumerate(zip(columns, labels, means, strict=True)):
        for col, arm in enumerate(ARM_ORDER):
            ax = axes[row][col]
            part = table[table[c.ARM] == arm].dropna(subset=[column])
            lines = participant_lines(part, c.WEEK, column)
            ax.add_collection(LineCollection(lines, colors=ARM_PALETTE[arm], alpha=0.45,
                                             linewidths=0.8))  # fmt: skip
            mean = mean_rows[mean_rows[c.ARM] == arm].sort_values(c.WEEK)
            ax.plot(mean[c.WEEK], mean["mean"], color="0.1", linewidth=2.5,
                    marker=ARM_MARKERS[arm], label="Arm mean")  # fmt: skip
            ax.set_title(c.ARM_LABELS[arm], fontsize=11)
            ax.set_xticks(weeks, [str(w) for w in weeks], fontsize=10)
            if col == 0:
                ax.set_ylabel(label)
            if row == len(columns) - 1:
                ax.set_xlabel(WEEK_AXIS)
    axes[0][0].legend(loc="upper right", fontsize=10)
    return finish(fig)


WATERFALL_HATCHES = {c.ARM_LDIL2: "", c.ARM_PLACEBO: "//"}
"""The bars of each arm: solid (Ld-IL2) or hatched (placebo), told apart without colour."""


def bar_outlines(x: np.ndarray, heights: np.ndarray, width: float = 0.8) -> np.ndarray:
    """The corners of one bar per value, centred on `x`, from 0 to `heights`: an array of
    shape (bars, 4, 2), for a :class:`matplotlib.collections.PolyCollection` (one artist for
    every bar, where :meth:`~matplotlib.axes.Axes.bar` makes one patch per bar)."""
    left, right = x - width / 2, x + width / 2
    zero = np.zeros_like(heights)
    return np.stack(
        [np.column_stack(pair) for pair in
         ((left, zero), (left, heights), (right, heights), (right, zero))], axis=1
    )  # fmt: skip


def plot_waterfall(changes: pd.DataFrame, column: str, label: str) -> Figure:
    """One bar per participant: the change in `column`, sorted from the largest increase
    (worsening) to the largest decrease (improvement), coloured by arm.

    Parameters
    ----------
    changes : one row per participant: subject_id, arm, `column` (missing values left out)
    label : y-axis label with its unit
    """
    data = changes.dropna(subset=[column]).sort_values(
        [column, c.SUBJECT_ID], ascending=[False, True]
    )
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(data))
    values = data[column].to_numpy(dtype=float)
    for arm in ARM_ORDER:
        mask = (data[c.ARM] == arm).to_numpy()
        ax.add_collection(PolyCollection(bar_outlines(x[mask], values[mask]),
                                         facecolors=ARM_PALETTE[arm], edgecolors="0.2",
                                         linewidths=0.5, hatch=WATERFALL_HATCHES[arm],
                                         label=c.ARM_LABELS[arm]))  # fmt: skip
    ax.autoscale_view()
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks([])
    ax.set_xlabel("Participants, sorted by change")
    ax.set_ylabel(label)
    ax.legend(loc="upper right")
    return finish(fig)


def _level_rows(ard: Ard, ids: dict[str, Any]) -> list[tuple[str, str, float, float, float]]:
    """(subgroup label, level label, estimate, lcl, ucl) of every level, in SUBGROUPS order."""
    rows = []
    for subgroup, sg_ids in ids.items():
        sg = SUBGROUPS[subgroup]
        for level, level_ids in sg_ids["levels"].items():
            r = ard.result(level_ids["difference"])
            rows.append((sg.label, sg.levels[level], r["estimate"], r["lcl"], r["ucl"]))
    return rows


def plot_subgroup_forest(ard: Ard, panels: Sequence[tuple[dict[str, Any], str]]) -> Figure:
    """Forest plot of the effect (Ld-IL2 minus placebo, 95% CI) in each subgroup level, one
    panel per outcome, read from the ARD rows of :mod:`ldil2.results.individual`; a level whose
    effect is not estimable is marked with that text.

    Parameters
    ----------
    panels : (ids of :func:`ldil2.results.individual.record_subgroups`, x-axis label)
    """
    first = _level_rows(ard, panels[0][0])
    fig, axes = plt.subplots(1, len(panels), figsize=(7, 0.42 * len(first) + 1.6), sharey=True,
                             squeeze=False)  # fmt: skip
    y = np.arange(len(first))[::-1]
    for ax, (ids, xlabel) in zip(axes[0], panels, strict=True):
        rows = _level_rows(ard, ids)
        for yy, (_, _, est, low, high) in zip(y, rows, strict=True):
            if math.isfinite(est):
                ax.errorbar(est, yy, xerr=[[est - low], [high - est]], fmt="o", capsize=3,
                            color=ARM_PALETTE[c.ARM_LDIL2])  # fmt: skip
            else:
                ax.text(0, yy, NOT_ESTIMABLE, ha="center", va="center", fontsize=10, color="0.3")
        ax.axvline(0, color="0.4", linewidth=0.8)
        ax.set_xlabel(xlabel, fontsize=10)
        ax.tick_params(labelsize=10)
    axes[0][0].set_yticks(y, [f"{sg}: {level}" for sg, level, *_ in first])
    return finish(fig)


def subgroup_table(
    ard: Ard, ids: dict[str, Any], binary: bool, title: str, footnote: Sequence[str]
) -> HtmlTable:
    """One row per subgroup level: per arm n/N (%) of responders or N and mean change, the
    difference (95% CI; "not estimable" where it cannot be formed) and, on the subgroup's
    first row, the interaction P."""
    rows, kinds = [], []
    for subgroup, sg_ids in ids.items():
        sg = SUBGROUPS[subgroup]
        p = ard.get(sg_ids["interaction"], "p")
        rows.append((sg.label, "", "", "", p_cell(p) if math.isfinite(p) else NOT_ESTIMABLE))
        kinds.append("group")
        for level, level_ids in sg_ids["levels"].items():
            cells = []
            for arm in c.ARMS:
                r = ard.result(level_ids[arm])
                if binary:
                    cells.append(format_n_percent(int(r["n"]), int(r["N"])))
                else:
                    mean = f"{r['mean']:.1f}" if math.isfinite(r["mean"]) else "NA"
                    cells.append(f"{int(r['N'])}; {mean}")
            d = ard.result(level_ids["difference"])
            diff = (interval_text(d["estimate"], d["lcl"], d["ucl"])
                    if math.isfinite(d["estimate"]) else NOT_ESTIMABLE)  # fmt: skip
            rows.append((sg.levels[level], *cells, diff, ""))
            kinds.append("indent")
    arm_cell = "responders, n (%)" if binary else "n; mean change"
    effect = "Risk difference, percentage points (95% CI)" if binary else (
        "Difference in change, ANCOVA (95% CI)"
    )  # fmt: skip
    header = ("Subgroup", *(f"{c.ARM_LABELS[a]}: {arm_cell}" for a in c.ARMS), effect,
              "Interaction P")  # fmt: skip
    return HtmlTable(title, header, tuple(rows), tuple(footnote), tuple(kinds))
