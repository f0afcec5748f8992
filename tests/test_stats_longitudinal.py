"""Small-sample inference of ldil2.stats.longitudinal against R (lmerTest, geepack).

Expected values: tests/fixtures/r/small_sample.csv, written by tests/fixtures/r/small_sample.R
(R 4.2.2, lme4 1.1.31, lmerTest 3.1.3, geepack 1.3.9) from tests/fixtures/r/primary_pp.csv, the
per-protocol analysis table of the shipped simulated release. The suite reads the stored output
and never runs R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ldil2 import contract as c
from ldil2.stats.longitudinal import gee_binary, mixed_change
from ldil2.stats.reml import fit_reml, reml_start, reml_variance, satterthwaite_df

R = Path(__file__).parent / "fixtures" / "r"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(R / "primary_pp.csv")


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return pd.read_csv(R / "small_sample.csv")


@pytest.fixture(scope="module")
def mixed(table):
    return mixed_change(table, "chg_cdai", "base_cdai")


@pytest.fixture(scope="module")
def gee(table):
    return gee_binary(table, "acr20")


def r_value(expected: pd.DataFrame, model: str, quantity: str, week: int | None = None) -> float:
    rows = expected[(expected["model"] == model) & (expected["quantity"] == quantity)]
    rows = rows[rows["week"].isna()] if week is None else rows[rows["week"] == week]
    if len(rows) != 1:
        raise KeyError(f"small_sample.csv: {model} {quantity} week {week}: {len(rows)} rows")
    return float(rows["value"].iloc[0])


def test_mixed_change_satterthwaite_matches_lmertest(mixed, expected):
    # the fit is at the exact REML optimum (reml_start): what is left is lme4's own tolerance
    result = mixed
    r = {q: r_value(expected, "mixed", q) for q in ("estimate", "df", "p", "lcl", "ucl")}
    assert result.estimate == pytest.approx(r["estimate"], rel=1e-8)
    assert result.df == pytest.approx(r["df"], rel=1e-6)
    assert result.p_value == pytest.approx(r["p"], abs=1e-6)
    assert (result.ci_low, result.ci_high) == pytest.approx((r["lcl"], r["ucl"]), rel=1e-6)
    for _, visit in result.per_visit.iterrows():
        week = int(visit[c.WEEK])
        assert visit["df"] == pytest.approx(r_value(expected, "mixed", "df", week), rel=1e-6)
        assert visit["p_value"] == pytest.approx(r_value(expected, "mixed", "p", week), abs=1e-6)
        assert visit["ci_low"] == pytest.approx(r_value(expected, "mixed", "lcl", week), rel=1e-6)


def test_mixed_change_keeps_the_wald_result_as_sensitivity(mixed):
    result = mixed
    assert result.wald.estimate == pytest.approx(result.estimate, rel=1e-9)
    assert result.wald.df == np.inf and result.wald.p_value < result.p_value
    assert "Sensitivity" in result.wald.description


def test_gee_binary_mancl_derouen_matches_r(gee, expected):
    result = gee
    for effect, model in ((result, "gee_md"), (result.wald, "gee_robust")):
        assert effect.estimate == pytest.approx(r_value(expected, model, "estimate"), rel=1e-5)
        assert effect.p_value == pytest.approx(r_value(expected, model, "p"), abs=1e-6)
        assert effect.ci_low == pytest.approx(r_value(expected, model, "lcl"), rel=1e-5)
        assert effect.ci_high == pytest.approx(r_value(expected, model, "ucl"), rel=1e-5)
    for _, visit in result.per_visit.iterrows():
        week = int(visit[c.WEEK])
        assert visit["estimate"] == pytest.approx(r_value(expected, "gee_md", "estimate", week))
        assert visit["p_value"] == pytest.approx(r_value(expected, "gee_md", "p", week), abs=1e-6)


def test_gee_binary_differs_from_geepacks_own_correlation_estimator_in_the_last_digits(
    gee, expected
):
    # why the footnote names the estimator: geepack's exchangeable estimate is another number
    result = gee
    own = r_value(expected, "geepack_own", "estimate")
    assert own != pytest.approx(result.estimate, rel=1e-4)
    assert own == pytest.approx(result.estimate, rel=0.01)
    assert r_value(expected, "geepack_own", "alpha") != pytest.approx(
        r_value(expected, "gee_md", "alpha"), rel=1e-3
    )


def test_satterthwaite_df_of_a_between_subject_contrast_in_a_balanced_design_is_exact():
    # balanced random-intercept design, arm fixed within subject: the arm contrast is a
    # between-subject comparison of subject means, exactly t on (subjects - 2) df
    rng = np.random.default_rng(7)
    subjects, visits = 12, 4
    groups = np.repeat(np.arange(subjects), visits)
    arm = (groups % 2).astype(float)
    x = np.column_stack([np.ones(len(groups)), arm])
    y = 1.0 * arm + rng.normal(0, 2, subjects)[groups] + rng.normal(0, 1, len(groups))
    # REML estimates of a balanced design are the ANOVA ones: s2 = within mean square,
    # s2_u = (between mean square of subject means around their arm means - s2/visits)
    means = np.bincount(groups, y) / visits
    s2 = float(((y - means[groups]) ** 2).sum() / (subjects * (visits - 1)))
    arm_of = np.arange(subjects) % 2
    around = means - np.array([means[arm_of == a].mean() for a in (0, 1)])[arm_of]
    s2_u = float((around**2).sum() / (subjects - 2) - s2 / visits)
    parts = reml_variance(x, y, groups, s2_u=s2_u, s2=s2)
    assert satterthwaite_df(np.array([0.0, 1.0]), parts) == pytest.approx(subjects - 2, rel=1e-9)


def _dense_reml_variance(x, y, groups, s2_u, s2):
    """The same quantities with V as one N x N matrix (an independent, slow computation)."""
    z = (groups[:, None] == np.unique(groups)[None, :]).astype(float)
    vk = (z @ z.T, np.eye(len(y)))
    w = np.linalg.inv(s2_u * vk[0] + s2 * vk[1])
    phi = np.linalg.inv(x.T @ w @ x)
    p = w - w @ x @ phi @ x.T @ w
    dphi = tuple(phi @ x.T @ w @ v @ w @ x @ phi for v in vk)
    py = p @ y
    hessian = np.array(
        [[0.5 * np.trace(p @ a @ p @ b) - py @ a @ p @ b @ py for b in vk] for a in vk]
    )
    return phi, dphi, np.linalg.inv(-hessian)


def test_reml_variance_matches_the_dense_computation_on_unbalanced_blocks():
    rng = np.random.default_rng(11)
    groups = np.repeat(np.arange(9), [1, 2, 3, 4, 4, 3, 2, 5, 4])  # blocks of 1 to 5 rows
    x = np.column_stack([np.ones(len(groups)), groups % 2, rng.normal(size=len(groups))])
    y = x @ [1.0, 0.5, -0.3] + rng.normal(0, 1.5, 9)[groups] + rng.normal(0, 1, len(groups))
    parts = reml_variance(x, y, groups, s2_u=2.1, s2=0.9)
    phi, dphi, theta_cov = _dense_reml_variance(x, y, groups, 2.1, 0.9)
    np.testing.assert_allclose(parts.phi, phi, rtol=1e-10)
    for mine, dense in zip(parts.dphi, dphi, strict=True):
        np.testing.assert_allclose(mine, dense, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(parts.theta_cov, theta_cov, rtol=1e-9)


def test_reml_start_is_the_optimum_statsmodels_reaches_by_iterating():
    rng = np.random.default_rng(3)
    subjects, visits = 400, 5
    groups = np.repeat(np.arange(subjects), visits)
    x = np.column_stack([np.ones(len(groups)), groups % 2, rng.normal(size=len(groups))])
    y = x @ [2.0, 1.0, 0.3] + rng.normal(0, 2.0, subjects)[groups] + rng.normal(0, 1, len(groups))
    keep = rng.random(len(y)) > 0.2  # unbalanced: 1 to 5 rows a participant
    x, y, groups = x[keep], y[keep], groups[keep]
    start = reml_start(x, y, groups)
    # statsmodels iterating from its own start (BFGS to a tight tolerance)
    iterated = sm.MixedLM(y, x, groups=groups).fit(reml=True, method="bfgs", gtol=1e-8)
    ratio = float(np.asarray(iterated.cov_re)[0, 0]) / iterated.scale
    assert start.cov_re[0, 0] == pytest.approx(ratio, rel=1e-6)
    np.testing.assert_allclose(start.fe_params, iterated.fe_params, rtol=1e-8)
    assert reml_start(x, y, np.arange(len(y))) is None  # one row a participant
    flat = np.tile([0.0, 1.0, 2.0], 6)  # no participant effect: the optimum is s2_u = 0
    assert reml_start(np.ones((18, 1)), flat, np.repeat(np.arange(6), 3)) is None


def test_fit_reml_stops_at_its_start():
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(60), 4)
    x = np.column_stack([np.ones(len(groups)), groups % 2])
    y = x @ [1.0, 0.5] + rng.normal(0, 1.0, 60)[groups] + rng.normal(0, 1.0, len(groups))
    start, fit = reml_start(x, y, groups), fit_reml(y, x, groups)
    assert fit.converged  # and where it started: its gradient there was below the tolerance
    assert float(np.asarray(fit.cov_re)[0, 0]) / fit.scale == pytest.approx(
        start.cov_re[0, 0], rel=1e-12
    )
    np.testing.assert_allclose(fit.fe_params, start.fe_params, rtol=1e-12)


def test_reml_variance_rejects_a_variance_at_zero():
    groups = np.repeat(np.arange(6), 3)
    x = np.ones((len(groups), 1))
    y = np.tile([0.0, 1.0, 2.0], 6)  # no subject effect at all: s2_u = 0 at the optimum
    with pytest.raises(ValueError, match="positive definite"):
        reml_variance(x, y, groups, s2_u=0.0, s2=1.0)


def test_mixed_change_is_fitted_once_per_input_and_again_when_a_value_changes(table, mixed):
    # the same rows (a copy, with a column the model does not read) reuse the fit; one changed
    # change from baseline is another input and gives another fit
    same = mixed_change(table.assign(unused=1.0).copy(), "chg_cdai", "base_cdai")
    assert same is mixed
    changed = table.copy()
    row = changed.index[changed["chg_cdai"].notna()][0]
    changed.loc[row, "chg_cdai"] += 10.0
    other = mixed_change(changed, "chg_cdai", "base_cdai")
    assert other is not mixed and other.estimate != mixed.estimate


def test_gee_binary_is_fitted_once_per_input_and_outcome(table, gee):
    assert gee_binary(table.copy(), "acr20") is gee
    renamed = table.assign(acr50=table["acr20"])  # the same values under another outcome
    assert gee_binary(renamed, "acr50") is not gee
    assert gee_binary(table, "acr20", weeks=(12, 24)) is not gee
