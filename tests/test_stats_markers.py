"""Tests of ldil2.stats.markers on small hand-made frames (expected values worked by hand or
computed with scipy/statsmodels directly)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from marker_cases import immunology_frame, marker_frame, marker_subjects
from scipy.stats import mannwhitneyu, norm

from ldil2 import contract as c
from ldil2.present.markers import odds_ratio_text
from ldil2.results.ard import Ard
from ldil2.results.markers import record_association
from ldil2.stats import markers as bm


def _text(result: bm.MarkerAssociation) -> str:
    """The association as the page shows it: recorded as ARD rows, rendered from them."""
    ard = Ard("biomarkers", c.PER_PROTOCOL)
    return odds_ratio_text(ard, record_association(ard, result, "marker", c.LAST_WEEK))


def test_summarise_marker_change_medians_and_rank_sum_p():
    subjects = marker_subjects([c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 3)
    # Treg % changes (week 12 - week 0): Ld-IL2 +1, +2, +4; placebo 0, -1, and S5 lacks week 12
    imm = immunology_frame(
        [
            ("S0", 0, 5, 1),
            ("S0", 12, 6, 1),
            ("S1", 0, 5, 1),
            ("S1", 12, 7, 1),
            ("S2", 0, 4, 1),
            ("S2", 12, 8, 1),
            ("S3", 0, 6, 1),
            ("S3", 12, 6, 1),
            ("S4", 0, 6, 1),
            ("S4", 12, 5, 1),
            ("S5", 0, 6, 1),
        ]
    )
    out = bm.summarise_marker_change(subjects, imm, ["treg_pct_cd4"], (12,), c.PER_PROTOCOL)
    row = out.iloc[0]
    assert (row[f"n_{c.ARM_LDIL2}"], row[f"n_{c.ARM_PLACEBO}"]) == (3, 2)
    assert row[f"median_{c.ARM_LDIL2}"] == 2.0  # median of 1, 2, 4
    assert row[f"median_{c.ARM_PLACEBO}"] == -0.5  # median of 0, -1
    assert row[f"q1_{c.ARM_LDIL2}"] == 1.5  # linear interpolation between 1 and 2
    assert row["p"] == pytest.approx(mannwhitneyu([1, 2, 4], [0, -1]).pvalue)


def test_auc_delong_hand_example():
    # psi matrix for positives (3, 2) vs negatives (1, 2): [[1, 1], [1, 0.5]] -> AUC 3.5/4.
    # V10 = (1, 0.75), V01 = (1, 0.75); each sample variance (ddof 1) = 0.03125;
    # variance = 0.03125/2 + 0.03125/2 = 0.03125.
    auc, variance = bm.auc_delong(np.array([3.0, 2.0]), np.array([1.0, 2.0]))
    assert auc == pytest.approx(0.875)
    assert variance == pytest.approx(0.03125)


def test_auc_delong_equals_mann_whitney_u_over_mn_on_random_scores():
    rng = np.random.default_rng(1)
    for _ in range(20):
        pos = rng.integers(0, 6, size=rng.integers(2, 12)).astype(float)
        neg = rng.integers(0, 6, size=rng.integers(2, 12)).astype(float)
        auc, _ = bm.auc_delong(pos, neg)
        u = mannwhitneyu(pos, neg).statistic
        assert auc == pytest.approx(u / (len(pos) * len(neg)))


def test_auc_delong_variance_missing_with_one_negative_and_auc_with_none():
    assert bm.auc_delong(np.array([1.0, 2.0]), np.array([0.0]))[0] == 1.0
    assert np.isnan(bm.auc_delong(np.array([1.0, 2.0]), np.array([0.0]))[1])
    assert np.isnan(bm.auc_delong(np.array([1.0, 2.0]), np.array([]))).all()


def test_roc_curve_hand_example():
    # thresholds 3, 2, 1: TPR (1/2, 1, 1), FPR (0, 1/2, 1)
    fpr, tpr = bm.roc_curve(np.array([3.0, 2.0]), np.array([1.0, 2.0]))
    assert fpr.tolist() == [0.0, 0.0, 0.5, 1.0]
    assert tpr.tolist() == [0.0, 0.5, 1.0, 1.0]


def test_fit_marker_association_or_per_sd_matches_raw_scale_fit():
    frame = marker_frame()
    result = bm.fit_marker_association(frame, "il21_pg_ml", c.ARM_LDIL2)
    arm = frame[frame[c.ARM] == c.ARM_LDIL2].assign(y=lambda d: d["response"].astype(float))
    raw = smf.logit("y ~ il21_pg_ml", data=arm).fit(disp=0)
    sd = arm["il21_pg_ml"].std()
    # a logit slope per unit times the SD is the slope per SD; the Wald P is scale-free
    assert result.odds_ratio == pytest.approx(np.exp(raw.params["il21_pg_ml"] * sd))
    low, high = np.exp(raw.conf_int().loc["il21_pg_ml"] * sd)
    assert (result.ci_low, result.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert result.p_value == pytest.approx(raw.pvalues["il21_pg_ml"])
    assert (result.n, result.responders) == (len(arm), int(arm["response"].sum()))
    assert "per SD" in _text(result)


def test_fit_marker_association_separation_is_not_estimable():
    frame = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 6,
            "il21_pg_ml": [1.0, 2, 3, 4, 5, 6],
            "response": [False, False, False, True, True, True],
        }
    )
    result = bm.fit_marker_association(frame, "il21_pg_ml", c.ARM_LDIL2)
    assert np.isnan(result.odds_ratio)
    assert _text(result).startswith("not estimable")
    assert "cannot be estimated" in result.note


def test_fit_marker_association_constant_response_is_not_estimable():
    frame = pd.DataFrame(
        {c.ARM: [c.ARM_LDIL2] * 3, "il21_pg_ml": [1.0, 2, 3], "response": [True] * 3}
    )
    result = bm.fit_marker_association(frame, "il21_pg_ml", c.ARM_LDIL2)
    assert "same response" in result.note


def test_fit_marker_interaction_matches_formula_fit():
    frame = marker_frame(seed=5, n=60).assign(y=lambda d: d["response"].astype(float))
    frame["treated"] = (frame[c.ARM] == c.ARM_LDIL2).astype(float)
    raw = smf.logit("y ~ il21_pg_ml * treated", data=frame).fit(disp=0)
    sd = frame["il21_pg_ml"].std()
    result = bm.fit_marker_interaction(frame, "il21_pg_ml")
    assert result.ratio == pytest.approx(np.exp(raw.params["il21_pg_ml:treated"] * sd))
    assert result.p_value == pytest.approx(raw.pvalues["il21_pg_ml:treated"])
    assert result.n == 60


def test_fit_marker_roc_direction_lower_flips_the_auc():
    frame = marker_frame()
    higher = bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "higher")
    lower = bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "lower")
    assert lower.auc == pytest.approx(1 - higher.auc)  # no ties in continuous draws
    assert 0 <= higher.ci_low <= higher.auc <= higher.ci_high <= 1
    with pytest.raises(ValueError, match="direction"):
        bm.fit_marker_roc(frame, "il21_pg_ml", c.ARM_LDIL2, "up")


def test_detectable_odds_ratio_hsieh_hand_value():
    # n = 17, p = 13/17: p(1-p) = 0.179931; n p (1-p) = 3.058824; sqrt = 1.748949;
    # (1.959964 + 0.841621) / 1.748949 = 1.601868; exp = 4.9619
    assert bm.detectable_odds_ratio(17, 13 / 17) == pytest.approx(4.9619, abs=1e-3)
    assert np.log(bm.detectable_odds_ratio(100, 0.5)) == pytest.approx(
        (norm.ppf(0.975) + norm.ppf(0.8)) / 5
    )
    assert np.isnan(bm.detectable_odds_ratio(17, 1.0))


def test_summarise_marker_sample_counts_responders_per_arm():
    frame = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 4 + [c.ARM_PLACEBO] * 2,
            "response": [True, True, True, False, True, False],
        }
    )
    out = bm.summarise_marker_sample(frame).set_index(c.ARM)
    assert out.loc[c.ARM_LDIL2, ["n", "responders", "non_responders"]].tolist() == [4, 3, 1]
    assert out.loc[c.ARM_PLACEBO, ["n", "responders", "non_responders"]].tolist() == [2, 1, 1]


def test_fit_marker_interaction_with_no_responder_in_an_arm_is_not_estimable():
    # issue 13 item 3: a logistic model where an arm has no event reads "not estimable"
    frame = marker_frame(seed=5, n=60)
    frame.loc[frame[c.ARM] == c.ARM_PLACEBO, "response"] = False
    result = bm.fit_marker_interaction(frame, "il21_pg_ml")
    assert np.isnan([result.ratio, result.ci_low, result.ci_high, result.p_value]).all()
    assert result.note == "an arm has no responders or only responders"
