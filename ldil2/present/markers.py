"""Texts, tables and figures of the biomarkers chapter, every number read from ARD rows
(:mod:`ldil2.results.markers`): means at chosen visits, the change-from-baseline table, the
baseline-marker association table and the marker and ROC figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.derive.markers import TH17_TREG_RATIO
from ldil2.present.courses import plot_courses
from ldil2.present.format import NOT_ESTIMABLE, ci_clause, interval_of, p_cell, p_cell_of
from ldil2.present.tables import HtmlTable
from ldil2.present.theme import finish
from ldil2.results.ard import Ard

MARKER_LABELS: dict[str, str] = {
    c.CD4: "CD4+ T cells (cells/µL)",
    c.TREG_PCT: "Treg (% of CD4+)",
    c.TREG_PER_UL: "Treg (cells/µL)",
    c.TH17_PCT: "Th17 (% of CD4+)",
    TH17_TREG_RATIO: "Th17/Treg ratio",
    c.IL21: "IL-21 (pg/mL)",
    c.IL6: "IL-6 (pg/mL)",
    c.IL17A: "IL-17A (pg/mL)",
}
"""Marker column -> label with its unit."""

MARKER_COLOURS: tuple[str, ...] = ("#009E73", "#CC79A7")
"""Okabe-Ito bluish green and reddish purple: colour-blind safe, distinct from the arm palette."""

NOT_SAMPLED = "not sampled"
MODEL_NOT_ESTIMABLE = "the logistic model cannot be estimated"
SAME_RESPONSE = "all participants have the same response"


# ----------------------------------------------------------------------------- glued texts
def means_text(ard: Ard, ids: Mapping[tuple[str, int], str], arm: str, weeks: Sequence[int]) -> str:
    """'7.35 (week 2), 6.90 (week 6)': the mean of each of `weeks` that was sampled in `arm`
    (`ids`: :func:`ldil2.results.markers.record_means` output); 'not sampled' when none is."""
    parts = [
        f"{ard.get(ids[(arm, week)], 'mean'):.2f} (week {week})"
        for week in weeks
        if (arm, week) in ids
    ]
    return ", ".join(parts) or NOT_SAMPLED


def _not_estimable(ard: Ard, rid: str) -> str:
    """'not estimable: <reason>' of a logistic result: the same response for every participant
    (n responders is 0 or N), else the model could not be estimated (e.g. separation)."""
    n, total = ard.get(rid, "n"), ard.get(rid, "N")
    reason = SAME_RESPONSE if n in (0, total) else MODEL_NOT_ESTIMABLE
    return f"{NOT_ESTIMABLE}: {reason}"


def odds_ratio_text(ard: Ard, rid: str) -> str:
    """'OR 0.45 per SD (95% CI 0.12 to 1.70; P = 0.240)' of a ``logistic_per_sd`` result."""
    r = ard.result(rid)
    if not math.isfinite(r["estimate"]):
        return _not_estimable(ard, rid)
    return f"OR {r['estimate']:.2f} per SD ({ci_clause(r['lcl'], r['ucl'], p=r['p'])})"


def interaction_text(ard: Ard, rid: str) -> str:
    """'ratio of ORs 0.52 (95% CI 0.10 to 2.71; P = 0.440)' of a ``logistic_interaction``."""
    r = ard.result(rid)
    if not math.isfinite(r["estimate"]):
        return _not_estimable(ard, rid)
    return f"ratio of ORs {r['estimate']:.2f} ({ci_clause(r['lcl'], r['ucl'], p=r['p'])})"


def auc_text(ard: Ard, rid: str) -> str:
    """'AUC 0.71 (95% CI 0.45 to 0.97)' of a ``roc_delong`` result."""
    r = ard.result(rid)
    if not math.isfinite(r["estimate"]):
        return f"AUC {NOT_ESTIMABLE} (responders or non-responders missing)"
    if not math.isfinite(r["lcl"]):
        return f"AUC {r['estimate']:.2f} (95% CI {NOT_ESTIMABLE})"
    return f"AUC {r['estimate']:.2f} ({ci_clause(r['lcl'], r['ucl'])})"


def detectable_text(ard: Ard, rid: str) -> str:
    """'5.0': the smallest detectable odds ratio per SD, one decimal; 'NA' when not defined."""
    value = ard.get(rid, "estimate")
    return f"{value:.1f}" if math.isfinite(value) else "NA"


# ---------------------------------------------------------------------------------- tables
def _median_iqr(ard: Ard, rid: str) -> str:
    r = ard.result(rid)
    if r["n"] == 0:
        return "no data (n = 0)"
    return f"{r['median']:.2f} ({r['q1']:.2f} to {r['q3']:.2f}), n = {int(r['n'])}"


def change_table(
    ard: Ard, rows: Sequence[Mapping[str, Any]], title: str, note: Sequence[str]
) -> HtmlTable:
    """Change from baseline per marker and week: median (IQR), n per arm and the rank-sum P.

    Parameters
    ----------
    rows : :func:`ldil2.results.markers.record_change` output
    """
    lines = []
    for row in rows:
        line = {"Marker": MARKER_LABELS[row["marker"]], "Week": str(row[c.WEEK])}
        for arm in c.ARMS:
            line[f"{c.ARM_LABELS[arm]}: median change (IQR)"] = _median_iqr(ard, row[arm])
        line["Rank-sum P"] = p_cell_of(ard, row["p"])
        lines.append(line)
    return HtmlTable.from_frame(pd.DataFrame(lines), title, tuple(note))


def ratio_cells(ard: Ard, rid: str) -> tuple[str, str]:
    """The cells of a logistic result under "... (95% CI)" and "P" headers: '0.45 (0.12 to
    1.70)' and '0.240'; 'not estimable: <reason>' and '' when the estimate is NaN."""
    r = ard.result(rid)
    if not math.isfinite(r["estimate"]):
        return _not_estimable(ard, rid), ""
    return interval_of(ard, rid, 2), p_cell(r["p"])


def association_row(
    ard: Ard, marker: str, direction: str, ids: Mapping[str, str]
) -> dict[str, str]:
    """One row of the association table: the marker, its published direction, the per-SD odds
    ratio (95% CI) and its P and the ROC AUC in Ld-IL2, the odds ratio and P on placebo, and the
    interaction (ratio of odds ratios) and its P; P values in their own columns.

    Parameters
    ----------
    ids : ``or_<arm>`` (logistic_per_sd per arm), ``auc`` (roc_delong, Ld-IL2) and
        ``interaction`` (logistic_interaction) result ids
    """
    ldil2, placebo = c.ARM_LABELS[c.ARM_LDIL2], c.ARM_LABELS[c.ARM_PLACEBO]
    or_ldil2, p_ldil2 = ratio_cells(ard, ids[f"or_{c.ARM_LDIL2}"])
    or_placebo, p_placebo = ratio_cells(ard, ids[f"or_{c.ARM_PLACEBO}"])
    interaction, p_interaction = ratio_cells(ard, ids["interaction"])
    return {
        "Baseline marker": MARKER_LABELS[marker],
        "Published direction": f"{direction} values with response",
        f"{ldil2}: OR per SD (95% CI)": or_ldil2,
        f"{ldil2}: P": p_ldil2,
        f"{ldil2}: ROC AUC (95% CI)": auc_text(ard, ids["auc"]).removeprefix("AUC "),
        f"{placebo}: OR per SD (95% CI)": or_placebo,
        f"{placebo}: P": p_placebo,
        "Arm × marker interaction: ratio of ORs (95% CI)": interaction,
        "Interaction P": p_interaction,
    }


def association_table(
    ard: Ard, markers: Mapping[str, tuple[str, Mapping[str, str]]], title: str, note: Sequence[str]
) -> HtmlTable:
    """The baseline-marker association table: one :func:`association_row` per marker
    (`markers`: marker -> (published direction, result ids))."""
    rows = [association_row(ard, m, direction, ids) for m, (direction, ids) in markers.items()]
    return HtmlTable.from_frame(pd.DataFrame(rows), title, tuple(note))


# --------------------------------------------------------------------------------- figures
def plot_markers(
    courses: Mapping[str, pd.DataFrame], shade_weeks: Sequence[tuple[float, float]]
) -> Figure:
    """Mean (95% CI) of immunological markers over weeks by arm (one panel per marker, two a
    row, in the order of `courses`: marker -> ldil2.stats.means.mean_by_visit output), dosing
    periods shaded."""
    labels = {m: MARKER_LABELS[m] for m in courses}
    return plot_courses(courses, labels, shade_weeks=shade_weeks, ncols=min(2, len(courses)))


def plot_roc(curves: Sequence[Any], ard: Ard, ids: Sequence[str]) -> Figure:
    """ROC curves of baseline markers for response, one line per marker, chance diagonal.

    Parameters
    ----------
    curves : ldil2.stats.markers.RocResult per marker (the curve's points, its direction)
    ids : the ``roc_delong`` result id of each curve (the legend's AUC text)
    """
    fig, ax = plt.subplots(figsize=(5.5, 6.2))
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=0.8, label="Chance (AUC 0.50)")
    for curve, rid, colour in zip(curves, ids, MARKER_COLOURS, strict=False):
        word = "low" if curve.direction == "lower" else "high"
        label = f"{word} {MARKER_LABELS[curve.marker]}: {auc_text(ard, rid)}"
        ax.plot(curve.fpr, curve.tpr, color=colour, label=label)
    ax.set_xlabel("1 - specificity (false-positive fraction)")
    ax.set_ylabel("Sensitivity (true-positive fraction)")
    ax.set_aspect("equal")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False)
    return finish(fig)
