"""Tests of ldil2.present.estimands: the estimand definitions, the side-by-side table, the
verdict and the tipping-point sentence, every number read from ARD rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.present import estimands as e
from ldil2.results.ard import Ard
from ldil2.results.imputation import record_tipping
from ldil2.stats.imputation import TippingPoint


def test_estimand_definitions_state_every_ich_attribute():
    frame = e.estimand_definitions("28")
    assert list(frame.columns) == [
        "Endpoint",
        "Estimand",
        "Population",
        "Variable",
        "Intercurrent event (withdrawal) and strategy",
        "Summary measure",
    ]
    # 2 binary + 2 change endpoints, each as published and under its ITT companion
    assert len(frame) == 8
    assert (frame.map(len) > 0).all().all()
    assert "(28 joint counts)" in frame.loc[0, "Variable"]
    assert set(frame["Estimand"]) == {"As published", "Composite", "Hypothetical"}


def _row(ard: Ard, endpoint: str, estimand: str, p: float, k: int) -> e.EstimandRow:
    """A table row whose P value is an ARD row of its own (endpoint ``e<k>``)."""
    effect = {"estimate": -1.0, "lcl": -2.0, "ucl": 0.0, "p": p}
    rid = ard.record(f"e{k}", endpoint, "ancova", effect, week=24, group="difference")
    arms = {arm: ard.record(f"e{k}", endpoint, "ancova", {"N": 10}, week=24, group=arm)
            for arm in c.ARMS}  # fmt: skip
    return e.EstimandRow(endpoint, estimand, "week 24", "model", arms, "participants", rid,
                         "change", rid)  # fmt: skip


def test_verdict_names_where_a_conclusion_holds_and_where_not():
    ard = Ard("estimands")
    rows = [
        _row(ard, "ACR20", "Per-protocol (as published)", 0.01, 1),
        _row(ard, "ACR20", "ITT with non-responder imputation", 0.2, 2),
        _row(ard, "CDAI", "Per-protocol (as published)", 0.001, 3),
        _row(ard, "CDAI", "ITT with multiple imputation", 0.004, 4),
        _row(ard, "Remission", "Per-protocol (as published)", 0.5, 5),
    ]
    text = e.verdict(ard, rows, {})
    assert (
        "ACR20: depends on the estimand. Significant (P < 0.05): Per-protocol (as published), "
        "week 24, P = 0.010. Not significant: ITT with non-responder imputation, week 24, "
        "P = 0.200." in text
    )
    assert "CDAI: significant (P < 0.05) in every analysis" in text
    assert "Remission: significant in no analysis" in text


def test_verdict_reads_the_p_value_from_the_ard():
    ard = Ard("estimands")
    row = _row(ard, "CDAI", "Per-protocol (as published)", math.nan, 1)
    # a P value that is not estimable is not significant, and printed as such
    assert e.verdict(ard, [row], {}) == (
        "CDAI: significant in no analysis: Per-protocol (as published), week 24, P = NA."
    )


def _tipping(delta: float | None) -> tuple[Ard, str]:
    ard = Ard("estimands", c.ITT)
    tp = TippingPoint(pd.DataFrame({"delta": [0.0, 1.0]}), delta, 0.05, 0.01)
    return ard, record_tipping(ard, "chg_cdai", "Change in CDAI", tp, 24, "index points")


def test_tipping_sentence_reports_the_delta():
    ard, rid = _tipping(10.64)
    assert "assumed 10.6 points worse" in e.tipping_sentence(ard, rid, "Change in CDAI")
    assert e.tipping_delta_text(ard, rid) == "10.6"
    ard, rid = _tipping(None)
    assert "still significant if" in e.tipping_sentence(ard, rid, "Change in CDAI")
    assert "were 1.0 points worse" in e.tipping_sentence(ard, rid, "Change in CDAI")
    assert e.tipping_delta_text(ard, rid) == "none in range"
    ard, rid = _tipping(0.0)
    assert "not significant even before any shift" in e.tipping_sentence(ard, rid, "Change in CDAI")


def test_tipping_point_row_holds_the_shift_and_the_grid_range():
    ard, rid = _tipping(None)
    assert rid == "chg_cdai.w24.itt.ldil2.tipping_point"
    assert math.isnan(ard.get(rid, "estimate"))
    assert (ard.get(rid, "min"), ard.get(rid, "max"), ard.get(rid, "tolerance")) == (
        0.0,
        1.0,
        0.01,
    )


def _binary_row(ard: Ard) -> e.EstimandRow:
    """A week-24 proportion row recorded as Ard.binary_comparison records one."""
    arms = {
        c.ARM_LDIL2: ard.record("acr20", "ACR20", "proportion_wilson",
                                {"n": 13, "N": 17, "percent": 100 * 13 / 17}, week=24,
                                group=c.ARM_LDIL2),
        c.ARM_PLACEBO: ard.record("acr20", "ACR20", "proportion_wilson",
                                  {"n": 13, "N": 23, "percent": 100 * 13 / 23}, week=24,
                                  group=c.ARM_PLACEBO),
    }  # fmt: skip
    difference = ard.record("acr20", "ACR20", "difference_newcombe",
                            {"estimate": 19.95, "lcl": -9.71, "ucl": 44.12}, week=24,
                            group="difference")  # fmt: skip
    fisher = ard.record("acr20", "ACR20", "fisher", {"p": 0.3149}, week=24, group="difference")
    return e.EstimandRow("ACR20 response", "Per-protocol (as published)", "week 24",
                         "difference in proportions, Fisher's exact test", arms, "count",
                         difference, "difference", fisher)  # fmt: skip


def _with(ard: Ard, rid: str, stat: str, value: float) -> Ard:
    """A copy of `ard` with one value changed."""
    changed = Ard(ard.chapter, ard.population)
    for row in ard.rows():
        if row.key == (rid, stat):
            row = type(row)(**{**row.record(), "value": value})
        changed.add(row)
    return changed


def test_results_frame_cells_are_read_from_the_ard():
    ard = Ard("estimands")
    row = _binary_row(ard)
    cells = e.results_frame(ard, [row]).iloc[0]
    assert cells["Ld-IL2 + MTX"] == "13/17 (76.5%)"
    assert cells["Placebo + MTX"] == "13/23 (56.5%)"
    assert cells["Effect (95% CI)"] == "19.9 percentage points (95% CI -9.7 to 44.1)"
    assert cells["P"] == "0.315"
    # change one value of the ARD: the cell reading it changes, the others do not
    changed = e.results_frame(_with(ard, row.p, "p", 0.0123), [row]).iloc[0]
    assert changed["P"] == "0.012"
    assert changed.drop("P").tolist() == cells.drop("P").tolist()
    changed = e.results_frame(_with(ard, row.arms[c.ARM_LDIL2], "n", 12), [row]).iloc[0]
    assert changed["Ld-IL2 + MTX"] == "12/17 (70.6%)"


def test_results_frame_reads_means_imputations_and_models():
    ard = Ard("estimands")
    observed = ard.record("chg_cdai", "CDAI", "mean_t", {"n": 17, "mean": -12.34}, week=24,
                          group=c.ARM_LDIL2)  # fmt: skip
    imputed = ard.record("chg_cdai", "CDAI", "mi_ancova", {"N": 23, "n": 6, "mean": -11.96},
                         week=24, group=c.ARM_LDIL2, population=c.ITT)  # fmt: skip
    model = ard.record("chg_cdai", "CDAI", "mixed_model",
                       {"estimate": -5.71, "lcl": -10.3, "ucl": -1.12, "p": 0.0138},
                       group="difference")  # fmt: skip
    assert e.observed_mean_cell(ard, observed) == "n = 17; mean change -12.3"
    assert e.imputed_mean_cell(ard, imputed) == "n = 23 (6 imputed); mean change -12.0"
    row = e.EstimandRow("Change in CDAI", "x", "across visits", "mixed model",
                        {arm: observed for arm in c.ARMS}, "observed_mean", model, "change",
                        model)  # fmt: skip
    assert e.results_frame(ard, [row]).iloc[0]["Effect (95% CI)"] == "-5.7 (95% CI -10.3 to -1.1)"
    not_estimable = _with(ard, model, "estimate", math.nan)
    assert e.effect_cell(not_estimable, row) == "not estimable"


def test_results_caption_states_both_populations():
    pp, itt = {"ldil2": 17, "placebo": 23}, {"ldil2": 23, "placebo": 24}
    assert e.results_caption(pp, itt) == (
        "Primary endpoints under each estimand, week 24 and across visits (Ld-IL2 + MTX n = 17 "
        "per-protocol, 23 ITT; Placebo + MTX n = 23 per-protocol, 24 ITT)"
    )


@pytest.mark.parametrize("delta", [2.5, math.nan])
def test_plot_tipping_point_marks_the_tipping_delta(delta):
    grid = pd.DataFrame(
        {
            "delta": np.arange(0.0, 5.0, 0.5),
            "estimate": np.linspace(-5, 0, 10),
            "ci_low": np.linspace(-9, -4, 10),
            "ci_high": np.linspace(-1, 4, 10),
            "p_value": np.linspace(0.01, 0.4, 10),
        }
    )
    fig = e.plot_tipping_point(grid, delta, 0.05, "CDAI")
    left, right = fig.axes
    dashed = [line for line in right.get_lines() if line.get_linestyle() == "--"]
    if math.isnan(delta):
        assert dashed == []
    else:
        assert [line.get_xdata()[0] for line in dashed] == [delta]
    assert "CDAI" in left.get_ylabel()
