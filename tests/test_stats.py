"""Tests of ldil2.stats against scipy/statsmodels called directly and textbook examples."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from ldil2 import contract as c
from ldil2 import stats

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
    result = stats.gee_binary(toy, "acr20")
    data = _direct(toy)
    family, cov = sm.families.Binomial(), sm.cov_struct.Exchangeable()
    fit = smf.gee("y ~ treat + C(week)", c.SUBJECT_ID, data, family=family, cov_struct=cov).fit()
    assert result.estimate == pytest.approx(np.exp(fit.params["treat"]), rel=1e-6)
    assert result.p_value == pytest.approx(fit.pvalues["treat"], rel=1e-6)
    low, high = np.exp(fit.conf_int().loc["treat"])
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-6)
    assert result.n_subjects == {c.ARM_LDIL2: 20, c.ARM_PLACEBO: 20}
    assert result.n_observations == len(data)
    assert result.weeks == WEEKS
    assert "exchangeable" in result.description and "robust" in result.description
    assert result.p_text.startswith("P ")


def test_gee_binary_per_visit_matches_interaction_model(toy):
    result = stats.gee_binary(toy, "acr20")
    data = _direct(toy)
    family, cov = sm.families.Binomial(), sm.cov_struct.Exchangeable()
    fit = smf.gee("y ~ treat * C(week)", c.SUBJECT_ID, data, family=family, cov_struct=cov).fit()
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
    result = stats.gee_binary(toy, "acr20", weeks=(12, 24))
    assert result.weeks == (12, 24)
    assert list(result.per_visit[c.WEEK]) == [12, 24]


def test_gee_binary_rejects_week_without_data(toy):
    with pytest.raises(ValueError, match="weeks"):
        stats.gee_binary(toy, "acr20", weeks=(4, 16))


def test_mixed_change_matches_direct_statsmodels_fit(toy):
    result = stats.mixed_change(toy, "chg_cdai", "base_cdai")
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
    assert (result.ci_high - result.ci_low) / (2 * 1.959964) == pytest.approx(se, rel=1e-4)
    week24 = result.per_visit.set_index(c.WEEK).loc[24]
    assert week24["estimate"] == pytest.approx(
        fit.fe_params["treat"] + fit.fe_params["treat:C(week)[T.24]"], rel=1e-5
    )
    assert "REML" in result.description and "random intercept" in result.description
    assert result.measure == "difference in mean change"


def test_missing_column_named():
    with pytest.raises(ValueError, match="acr50"):
        stats.gee_binary(pd.DataFrame(columns=[c.SUBJECT_ID, c.ARM, c.WEEK]), "acr50")


@pytest.mark.parametrize(
    ("p", "text"), [(0.0142, "P = 0.014"), (0.0004, "P < 0.001"), (np.nan, "P = NA")]
)
def test_format_p(p, text):
    assert stats.format_p(p) == text
