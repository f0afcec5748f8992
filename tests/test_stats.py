"""Tests of ldil2.stats against scipy/statsmodels called directly and textbook examples.

The results are numbers; their text is tested in test_present_format.py."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import scipy.stats.contingency
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from ldil2 import contract as c
from ldil2.data import release as data
from ldil2.derive.analysis import make_analysis_table
from ldil2.derive.populations import select_population
from ldil2.stats.longitudinal import gee_binary, mixed_change
from ldil2.stats.means import ancova, mean_by_visit
from ldil2.stats.proportions import (
    fisher_exact,
    newcombe_difference,
    odds_ratio,
    response_by_arm,
    wilson_ci,
)

WEEKS = (4, 8, 12, 24)


@pytest.fixture(scope="module")
def toy():
    """40 subjects x 4 visits: a binary response and a change score with subject effects."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(40):
        arm = c.ARM_LDIL2 if i % 2 else c.ARM_PLACEBO
        active = float(arm == c.ARM_LDIL2)
        u, base = rng.normal(0, 1), rng.normal(30, 8)
        for w in WEEKS:
            eta = -0.3 + 0.8 * active + 0.05 * w / 4 + u
            rows.append(
                {
                    c.SUBJECT_ID: f"S{i:02d}",
                    c.ARM: arm,
                    c.WEEK: w,
                    "acr20": bool(rng.random() < 1 / (1 + np.exp(-eta))),
                    "base_cdai": base,
                    "chg_cdai": -5
                    - 4 * active
                    - 0.3 * w
                    + 0.3 * (base - 30)
                    + 3 * u
                    + rng.normal(0, 4),
                }  # fmt: skip
            )
    table = pd.DataFrame(rows)
    table["acr20"] = table["acr20"].astype("boolean")
    table.loc[3, "acr20"] = pd.NA  # a missing response is left out
    return table


def _direct(table):
    data = table.dropna(subset=["acr20"]).copy()
    data["y"] = data["acr20"].astype(float)
    data["treat"] = (data[c.ARM] == c.ARM_LDIL2).astype(float)
    return data


def test_gee_binary_matches_direct_statsmodels_fit(toy):
    result = gee_binary(toy, "acr20")
    data = _direct(toy)
    family, cov = sm.families.Binomial(), sm.cov_struct.Exchangeable()
    model = smf.gee("y ~ treat + C(week)", c.SUBJECT_ID, data, family=family, cov_struct=cov)
    for effect, cov_type in ((result, "bias_reduced"), (result.wald, "robust")):
        fit = model.fit(cov_type=cov_type)
        assert effect.estimate == pytest.approx(np.exp(fit.params["treat"]), rel=1e-6)
        assert effect.p_value == pytest.approx(fit.pvalues["treat"], rel=1e-6)
        low, high = np.exp(fit.conf_int().loc["treat"])
        assert (effect.ci_low, effect.ci_high) == pytest.approx((low, high), rel=1e-6)
    assert result.p_value > result.wald.p_value  # the bias-reduced sandwich is wider
    assert result.n_subjects == {c.ARM_LDIL2: 20, c.ARM_PLACEBO: 20}
    assert result.n_observations == len(data)
    assert result.weeks == WEEKS
    assert "exchangeable" in result.description and "Mancl-DeRouen" in result.description
    assert "moment estimator" in result.description
    assert 0 < result.p_value < 1


def test_gee_binary_per_visit_matches_interaction_model(toy):
    result = gee_binary(toy, "acr20")
    data = _direct(toy)
    family, cov = sm.families.Binomial(), sm.cov_struct.Exchangeable()
    model = smf.gee("y ~ treat * C(week)", c.SUBJECT_ID, data, family=family, cov_struct=cov)
    fit = model.fit(cov_type="bias_reduced")
    week8 = result.per_visit.set_index(c.WEEK).loc[8]
    test = fit.t_test("treat + treat:C(week)[T.8] = 0")
    assert week8["estimate"] == pytest.approx(np.exp(test.effect[0]), rel=1e-6)
    assert week8["p_value"] == pytest.approx(float(test.pvalue), rel=1e-5)
    # the interaction model is saturated in arm x week: its fitted risk difference at week 4
    # is close to the observed one (exact under independence)
    obs = data[data[c.WEEK] == 4].groupby(c.ARM)["y"].mean()
    week4 = result.per_visit.set_index(c.WEEK).loc[4]
    assert week4["risk_difference"] == pytest.approx(
        obs[c.ARM_LDIL2] - obs[c.ARM_PLACEBO], abs=0.02
    )
    assert week4["rd_ci_low"] < week4["risk_difference"] < week4["rd_ci_high"]


def test_gee_binary_week_subset(toy):
    result = gee_binary(toy, "acr20", weeks=(12, 24))
    assert result.weeks == (12, 24)
    assert list(result.per_visit[c.WEEK]) == [12, 24]


def test_gee_binary_rejects_week_without_data(toy):
    with pytest.raises(ValueError, match="weeks"):
        gee_binary(toy, "acr20", weeks=(4, 16))


def test_mixed_change_matches_direct_statsmodels_fit(toy):
    result = mixed_change(toy, "chg_cdai", "base_cdai")
    data = toy.assign(treat=(toy[c.ARM] == c.ARM_LDIL2).astype(float))
    fit = smf.mixedlm(
        "chg_cdai ~ treat * C(week) + base_cdai", data, groups=data[c.SUBJECT_ID]
    ).fit(reml=True)
    # average over the 4 visits of (treat + treat:week_w), with week 4 the reference
    names = ["treat", *(f"treat:C(week)[T.{w}]" for w in WEEKS[1:])]
    weights = np.array([1, 0.25, 0.25, 0.25])
    expected = float(fit.fe_params[names] @ weights)
    cov = fit.cov_params().loc[names, names].to_numpy()
    se = float(np.sqrt(weights @ cov @ weights))
    assert result.estimate == pytest.approx(expected, rel=1e-5)
    assert result.wald.estimate == pytest.approx(expected, rel=1e-5)
    wald_width = result.wald.ci_high - result.wald.ci_low
    assert wald_width / (2 * 1.959964) == pytest.approx(se, rel=1e-4)
    # the t interval on Satterthwaite df is wider than the Wald z interval
    assert result.ci_high - result.ci_low > wald_width and 0 < result.df < len(toy)
    assert set(result.per_visit.columns) >= {"df", "p_value"}
    week24 = result.per_visit.set_index(c.WEEK).loc[24]
    assert week24["estimate"] == pytest.approx(
        fit.fe_params["treat"] + fit.fe_params["treat:C(week)[T.24]"], rel=1e-5
    )
    assert "REML" in result.description and "random intercept" in result.description
    assert "Satterthwaite" in result.description
    assert result.measure == "difference in mean change"


def test_missing_column_named():
    with pytest.raises(ValueError, match="acr50"):
        gee_binary(pd.DataFrame(columns=[c.SUBJECT_ID, c.ARM, c.WEEK]), "acr50")


def test_wilson_ci_matches_statsmodels_and_hand_arithmetic():
    # 12/17: p = 0.70588; z^2 = 3.84146; centre = (12 + 1.92073)/(20.84146) = 0.667935;
    # half = 1.95996*sqrt(17*0.70588*0.29412 + 0.96036)/20.84146 = 1.95996*2.11891/20.84146
    # = 0.199265 -> 0.46867 to 0.86720
    result = wilson_ci(12, 17)
    low, high = proportion_confint(12, 17, method="wilson")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.46867, 0.86720), abs=1e-5)
    assert (result.count, result.total) == (12, 17)
    assert round(100 * result.estimate, 1) == 70.6


def test_wilson_ci_at_zero_and_all():
    assert wilson_ci(0, 10).ci_low == pytest.approx(0.0, abs=1e-15)
    assert wilson_ci(10, 10).ci_high == pytest.approx(1.0)


@pytest.mark.parametrize(("count", "total", "match"), [(1, 0, "total"), (5, 4, "count")])
def test_wilson_ci_rejects_impossible_counts(count, total, match):
    with pytest.raises(ValueError, match=match):
        wilson_ci(count, total)


def test_newcombe_difference_worked_example():
    # Newcombe, Stat Med 1998;17:873-890, Table II, example (a): 56/70 vs 48/80,
    # difference 0.2000, method 10 interval +0.0524 to +0.3339 (the published values; the same
    # numbers are reproduced by statsmodels' confint_proportions_2indep(method="newcomb"))
    result = newcombe_difference(56, 70, 48, 80)
    assert result.estimate == pytest.approx(0.2)
    assert round(result.ci_low, 4) == 0.0524
    assert round(result.ci_high, 4) == 0.3339
    low, high = confint_proportions_2indep(56, 70, 48, 80, method="newcomb", compare="diff")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-10)


def test_fisher_exact_matches_scipy_and_published_week12_note():
    # ACR20 at week 12 as published (12/17 vs 10/23): Fisher two-sided p ~ 0.12
    # (../shared/reference/published-record.md)
    result = fisher_exact(12, 17, 10, 23)
    expected = scipy.stats.fisher_exact([[12, 5], [10, 13]])
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.p_value == pytest.approx(0.12, abs=0.01)
    assert round(result.p_value, 3) == 0.116


def test_odds_ratio_woolf_matches_scipy_and_hand_arithmetic():
    # a=12, b=5, c=10, d=13: OR = 156/50 = 3.12; SE = sqrt(1/12 + 1/5 + 1/10 + 1/13) = 0.68132
    result = odds_ratio(12, 17, 10, 23)
    assert result.estimate == pytest.approx(3.12)
    se = np.sqrt(1 / 12 + 1 / 5 + 1 / 10 + 1 / 13)
    assert result.ci_low == pytest.approx(3.12 * np.exp(-1.959964 * se), rel=1e-6)
    ci = scipy.stats.contingency.odds_ratio([[12, 5], [10, 13]], kind="sample")
    interval = ci.confidence_interval()
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high))
    assert result.estimable and result.description == "Woolf logit interval"


@pytest.mark.parametrize("cells", [(5, 5, 2, 5), (0, 17, 3, 23), (0, 17, 0, 23), (17, 17, 23, 23)])
def test_odds_ratio_is_not_estimable_when_a_cell_is_zero(cells):
    # a 0 cell: the sample OR is 0 or infinite; no Haldane 0.5 is added (issue 13 item 3)
    result = odds_ratio(*cells)
    assert not result.estimable
    assert np.isnan([result.estimate, result.ci_low, result.ci_high]).all()
    assert "not estimable" in result.description and "Haldane" not in result.description


def test_ancova_matches_direct_ols(toy):
    result = ancova(toy, "chg_cdai", "base_cdai", week=24)
    data = toy[toy[c.WEEK] == 24].assign(treat=lambda d: (d[c.ARM] == c.ARM_LDIL2).astype(float))
    fit = smf.ols("chg_cdai ~ treat + base_cdai", data).fit()
    assert result.estimate == pytest.approx(fit.params["treat"])
    assert result.p_value == pytest.approx(fit.pvalues["treat"])
    assert result.ci_low == pytest.approx(fit.conf_int().loc["treat", 0])
    assert result.n_subjects == {c.ARM_LDIL2: 20, c.ARM_PLACEBO: 20}


def _visits():
    """Analysis-table-like frame: 4 ldil2 (1 withdrew before week 12) and 3 placebo subjects."""
    rows = [
        ("A1", c.ARM_LDIL2, 12, True),
        ("A2", c.ARM_LDIL2, 12, True),
        ("A3", c.ARM_LDIL2, 12, False),
        ("A4", c.ARM_LDIL2, 4, True),  # no week-12 visit
        ("P1", c.ARM_PLACEBO, 12, True),
        ("P2", c.ARM_PLACEBO, 12, pd.NA),  # attended, response missing
        ("P3", c.ARM_PLACEBO, 12, False),
    ]
    frame = pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.ARM, c.WEEK, "acr20"])
    frame["acr20"] = frame["acr20"].astype("boolean")
    completed = frame[c.SUBJECT_ID] != "A4"
    return frame.assign(itt=True, safety=True, per_protocol=completed, completed=completed)


def _counts(result):
    """Responders and participants analysed per arm of a BinaryComparison."""
    return {arm: (p.count, p.total) for arm, p in result.arms.items()}


def test_response_by_arm_observed_cases():
    result = response_by_arm(_visits(), "acr20", 12, "itt")
    assert _counts(result) == {c.ARM_LDIL2: (2, 3), c.ARM_PLACEBO: (1, 2)}
    assert result.percent(c.ARM_LDIL2) == pytest.approx(200 / 3)
    assert result.difference.estimate == pytest.approx(2 / 3 - 1 / 2)
    assert result.p_value == pytest.approx(scipy.stats.fisher_exact([[2, 1], [1, 1]]).pvalue)
    assert "observed cases" in result.description


def test_response_by_arm_nri_counts_missing_as_non_responders():
    result = response_by_arm(_visits(), "acr20", 12, "itt", imputation="nri")
    assert _counts(result) == {c.ARM_LDIL2: (2, 4), c.ARM_PLACEBO: (1, 3)}
    assert result.percent(c.ARM_PLACEBO) == pytest.approx(100 / 3)
    assert "non-responder" in result.description


def test_response_by_arm_population_and_errors():
    per_protocol = response_by_arm(_visits(), "acr20", 12, "per_protocol", "nri")
    assert per_protocol.arms[c.ARM_LDIL2].total == 3
    with pytest.raises(ValueError, match="imputation"):
        response_by_arm(_visits(), "acr20", 12, "itt", imputation="locf")
    with pytest.raises(ValueError, match="population"):
        response_by_arm(_visits(), "acr20", 12, "everyone")
    with pytest.raises(ValueError, match="week"):
        response_by_arm(_visits(), "acr20", 8, "itt")


DATA = Path(__file__).resolve().parents[1] / "data"
# Issue 4 item 6: the pre-specified longitudinal models on the shipped per-protocol data give
# across-time p-values within a factor of 2 of the published ones (abstract, PMID 35250032)
PUBLISHED_P = {"acr20": 0.014, "cdai": 0.018, "sdai": 0.015}


@pytest.mark.skipif(not (DATA / c.SUBJECTS).is_file(), reason="no shipped data/")
def test_calibration_on_shipped_data_within_factor_2():
    release = data.load(DATA, tables=[c.SUBJECTS, c.ASSESSMENTS])
    table = select_population(make_analysis_table(release), "per_protocol")
    found = {"acr20": gee_binary(table, "acr20").p_value}
    for index in ("cdai", "sdai"):
        found[index] = mixed_change(table, f"chg_{index}", f"base_{index}").p_value
    for key, published in PUBLISHED_P.items():
        assert published / 2 <= found[key] <= published * 2, (key, found[key])


def test_gee_binary_leaves_out_weeks_without_information(toy):
    # week 4: nobody responds; week 8: no placebo responder. The week-4 logit is -infinity, so
    # the across-visit model without week 4 is the estimate; per-visit ORs at 4 and 8 are NaN
    sparse = toy.copy()
    sparse.loc[sparse[c.WEEK] == 4, "acr20"] = False
    sparse.loc[(sparse[c.WEEK] == 8) & (sparse[c.ARM] == c.ARM_PLACEBO), "acr20"] = False
    result = gee_binary(sparse, "acr20")
    reference = gee_binary(sparse, "acr20", weeks=(8, 12, 24))
    assert result.estimate == pytest.approx(reference.estimate, rel=1e-6)
    per_visit = result.per_visit.set_index(c.WEEK)
    assert not per_visit.loc[4, "estimable"] and not per_visit.loc[8, "estimable"]
    assert np.isnan(per_visit.loc[8, "estimate"])
    assert per_visit.loc[12, "estimable"]
    assert "Week 4 is left out" in result.description
    assert "not estimable at weeks 4, 8" in result.description


def test_gee_binary_arm_without_responders_is_not_estimable(toy):
    sparse = toy.copy()
    sparse.loc[sparse[c.ARM] == c.ARM_PLACEBO, "acr20"] = False
    result = gee_binary(sparse, "acr20")
    assert np.isnan(result.estimate) and np.isnan(result.p_value)
    assert "not estimable" in result.description


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_ci_bounds(case):
    count, total = case
    p = wilson_ci(count, total)
    assert 0 <= p.ci_low <= p.estimate <= p.ci_high <= 1 + 1e-12


@given(
    st.integers(1, 100).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 100).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_newcombe_interval_contains_difference_and_stays_in_range(first, second):
    d = newcombe_difference(*first, *second)
    assert -1 - 1e-12 <= d.ci_low <= d.estimate + 1e-12
    assert d.estimate - 1e-12 <= d.ci_high <= 1 + 1e-12


def test_mean_by_visit_t_interval_matches_scipy(toy):
    means = mean_by_visit(toy, "chg_cdai").set_index([c.ARM, c.WEEK])
    values = toy[(toy[c.ARM] == c.ARM_LDIL2) & (toy[c.WEEK] == 12)]["chg_cdai"]
    low, high = scipy.stats.t.interval(
        0.95, len(values) - 1, loc=values.mean(), scale=scipy.stats.sem(values)
    )
    row = means.loc[(c.ARM_LDIL2, 12)]
    assert row["n"] == 20
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


def test_mean_by_visit_single_value_has_no_interval():
    frame = pd.DataFrame({c.SUBJECT_ID: ["A"], c.ARM: [c.ARM_LDIL2], c.WEEK: [4], "x": [1.0]})
    row = mean_by_visit(frame, "x").iloc[0]
    assert row["mean"] == 1.0 and np.isnan(row["ci_low"])
