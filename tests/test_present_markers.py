"""Tests of ldil2.present.markers: the texts, tables and figure legends are read from the ARD
rows (change one row and the text changes), with hand-made results."""

from __future__ import annotations

import dataclasses
import math

import matplotlib.pyplot as plt
import pandas as pd
from marker_cases import marker_frame

from ldil2 import contract as c
from ldil2.derive.markers import TH17_TREG_RATIO
from ldil2.present import markers as pm
from ldil2.results.ard import Ard
from ldil2.results.markers import (
    record_association,
    record_change,
    record_interaction,
    record_means,
    record_roc,
)
from ldil2.stats import markers as bm
from ldil2.stats.means import mean_by_visit

NAN = math.nan


def _ard() -> Ard:
    return Ard("biomarkers", c.PER_PROTOCOL)


def _changed(ard: Ard, rid: str, stat: str, value: float) -> Ard:
    """A copy of `ard` with one statistic replaced."""
    copy = Ard(ard.chapter, ard.population)
    for row in ard.rows():
        copy.add(dataclasses.replace(row, value=value) if row.key == (rid, stat) else row)
    return copy


def _association(odds_ratio, low, high, p, n=10, responders=6):
    return bm.MarkerAssociation(
        c.IL21, c.ARM_LDIL2, n, responders, 1.0, odds_ratio, low, high, p, note=""
    )


def test_odds_ratio_text_from_rows_and_not_estimable_reasons():
    ard = _ard()
    rid = record_association(ard, _association(0.4512, 0.1203, 1.7049, 0.2401), "m", 24)
    assert pm.odds_ratio_text(ard, rid) == "OR 0.45 per SD (95% CI 0.12 to 1.70; P = 0.240)"
    assert pm.odds_ratio_text(_changed(ard, rid, "p", 0.0004), rid).endswith("; P < 0.001)")
    # separation (6 of 10 responders): the model; every participant responded: the response
    separated = _ard()
    rid = record_association(separated, _association(NAN, NAN, NAN, NAN), "m", 24)
    assert pm.odds_ratio_text(separated, rid) == (
        "not estimable: the logistic model cannot be estimated"
    )
    same = _ard()
    rid = record_association(same, _association(NAN, NAN, NAN, NAN, responders=10), "m", 24)
    assert pm.odds_ratio_text(same, rid) == (
        "not estimable: all participants have the same response"
    )


def test_interaction_and_auc_texts_from_rows():
    ard = _ard()
    inter = bm.MarkerInteraction(c.IL21, 40, 20, 0.5213, 0.1004, 2.7071, 0.4401, note="")
    rid = record_interaction(ard, inter, "m", 24)
    assert pm.interaction_text(ard, rid) == "ratio of ORs 0.52 (95% CI 0.10 to 2.71; P = 0.440)"
    roc = bm.RocResult(c.IL21, c.ARM_LDIL2, "higher", 5, 4, 0.7111, 0.4503, 0.9702, (0,), (0,))
    rid = record_roc(ard, roc, "m", 24)
    assert pm.auc_text(ard, rid) == "AUC 0.71 (95% CI 0.45 to 0.97)"
    assert pm.auc_text(_changed(ard, rid, "lcl", NAN), rid) == "AUC 0.71 (95% CI not estimable)"
    assert pm.auc_text(_changed(ard, rid, "estimate", NAN), rid).startswith("AUC not estimable")


def test_means_text_reads_the_sampled_weeks():
    frame = pd.DataFrame(
        {
            c.SUBJECT_ID: ["S0", "S1", "S0", "S1"],
            c.ARM: [c.ARM_LDIL2] * 4,
            c.WEEK: [0, 0, 2, 2],
            c.TREG_PCT: [4.0, 6.0, 8.0, 9.0],
        }
    )
    ard = _ard()
    ids = record_means(
        ard, mean_by_visit(frame, c.TREG_PCT, include_baseline=True), c.TREG_PCT, "T"
    )
    assert pm.means_text(ard, ids, c.ARM_LDIL2, [0, 2, 6]) == "5.00 (week 0), 8.50 (week 2)"
    assert pm.means_text(ard, ids, c.ARM_PLACEBO, [0]) == "not sampled"
    changed = _changed(ard, ids[(c.ARM_LDIL2, 2)], "mean", 1.234)
    assert pm.means_text(changed, ids, c.ARM_LDIL2, [2]) == "1.23 (week 2)"


def test_change_table_cells_are_the_ard_rows():
    change = pd.DataFrame(
        [
            {
                "marker": c.TREG_PCT, c.WEEK: 12,
                **{f"n_{c.ARM_LDIL2}": 3, f"median_{c.ARM_LDIL2}": 2.0, f"q1_{c.ARM_LDIL2}": 1.5,
                   f"q3_{c.ARM_LDIL2}": 3.0},
                **{f"n_{c.ARM_PLACEBO}": 0, f"median_{c.ARM_PLACEBO}": NAN,
                   f"q1_{c.ARM_PLACEBO}": NAN, f"q3_{c.ARM_PLACEBO}": NAN},
                "p": NAN,
            }
        ]
    )  # fmt: skip
    ard = _ard()
    rows = record_change(ard, change, pm.MARKER_LABELS)
    frame = pm.change_table(ard, rows, "t", ()).to_frame()
    line = frame.iloc[0]
    assert line["Marker"] == "Treg (% of CD4+)" and line["Week"] == "12"
    assert line[f"{c.ARM_LABELS[c.ARM_LDIL2]}: median change (IQR)"] == "2.00 (1.50 to 3.00), n = 3"
    assert line[f"{c.ARM_LABELS[c.ARM_PLACEBO]}: median change (IQR)"] == "no data (n = 0)"
    assert line["Rank-sum P"] == "NA"
    changed = _changed(ard, rows[0]["p"], "p", 0.0384)
    assert pm.change_table(changed, rows, "t", ()).to_frame().iloc[0]["Rank-sum P"] == "0.038"
    assert ard.row(rows[0]["p"], "p").endpoint == "chg_treg_pct_cd4"


def test_association_table_cells_are_the_ard_rows():
    frame = marker_frame()
    ard = _ard()
    ids = {
        f"or_{arm}": record_association(ard, bm.fit_marker_association(frame, c.IL21, arm), "m", 24)
        for arm in c.ARMS
    }
    roc = bm.fit_marker_roc(frame, c.IL21, c.ARM_LDIL2, "higher")
    ids["auc"] = record_roc(ard, roc, "m", 24)
    ids["interaction"] = record_interaction(ard, bm.fit_marker_interaction(frame, c.IL21), "m", 24)
    table = pm.association_table(ard, {c.IL21: ("higher", ids)}, "t", ("n",)).to_frame()
    line = table.iloc[0]
    ld = c.ARM_LABELS[c.ARM_LDIL2]
    r = ard.result(ids[f"or_{c.ARM_LDIL2}"])
    assert line[f"{ld}: OR per SD (95% CI)"] == (
        f"{r['estimate']:.2f} ({r['lcl']:.2f} to {r['ucl']:.2f})"
    )
    # the P value in its own column, without "P ="
    assert line[f"{ld}: P"] == (f"{r['p']:.3f}" if r["p"] >= 0.001 else "< 0.001")
    assert not any(str(cell).startswith("P ") or "P =" in str(cell) for cell in line)
    assert line["Published direction"] == "higher values with response"
    assert f"AUC {line[f'{ld}: ROC AUC (95% CI)']}" == pm.auc_text(ard, ids["auc"])
    changed = _changed(ard, ids["interaction"], "estimate", 3.14159)
    again = pm.association_table(changed, {c.IL21: ("higher", ids)}, "t", ()).to_frame()
    assert again.iloc[0]["Arm × marker interaction: ratio of ORs (95% CI)"].startswith("3.14 (")


def test_plot_roc_draws_each_marker_and_chance():
    frame = marker_frame()
    rocs = [bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "higher")]
    ard = _ard()
    ids = [record_roc(ard, rocs[0], "m", 24)]
    fig = pm.plot_roc(rocs, ard, ids)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[0].startswith("Chance")
    assert "IL-21 (pg/mL)" in labels[1] and pm.auc_text(ard, ids[0]) in labels[1]
    plt.close(fig)


def test_plot_markers_one_panel_per_marker():
    frame = pd.DataFrame(
        {
            c.SUBJECT_ID: ["S0", "S0", "S1", "S1"],
            c.ARM: [c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO, c.ARM_PLACEBO],
            c.WEEK: [0, 2, 0, 2],
            c.TREG_PCT: [5.0, 8.0, 5.0, 5.0],
            TH17_TREG_RATIO: [0.2, 0.125, 0.2, 0.2],
        }
    )
    courses = {
        m: mean_by_visit(frame, m, include_baseline=True) for m in (c.TREG_PCT, TH17_TREG_RATIO)
    }
    fig = pm.plot_markers(courses, [(0, 2.0)])
    assert [ax.get_title() for ax in fig.axes] == ["Treg (% of CD4+)", "Th17/Treg ratio"]
    plt.close(fig)
