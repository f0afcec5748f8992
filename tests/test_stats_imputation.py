"""Tests of ldil2.stats.imputation: Rubin's rules, imputation, ANCOVA, tipping point, and the
multiple imputation of the shipped release."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps

from ldil2 import contract as c
from ldil2.data.release import load
from ldil2.derive.analysis import make_analysis_table
from ldil2.stats import imputation as e
from ldil2.stats.imputation import BASELINE, OUTCOME


def test_pool_rubin_matches_hand_arithmetic():
    # Q = 1, 2, 3; U = 0.5, 0.7, 0.6; m = 3 (Rubin 1987 pp. 76-77, by hand):
    # Q-bar = 2; U-bar = 0.6; B = (1 + 0 + 1) / 2 = 1; T = 0.6 + (4/3) * 1 = 1.933333
    # lambda = (4/3) / 1.933333 = 0.689655; Rubin df = 2 / 0.689655^2 = 4.205000
    pooled = e.pool_rubin(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.7, 0.6]))
    assert pooled.estimate == pytest.approx(2.0)
    assert pooled.within == pytest.approx(0.6)
    assert pooled.between == pytest.approx(1.0)
    assert pooled.total == pytest.approx(1.933333, rel=1e-6)
    assert pooled.df == pytest.approx(4.205, rel=1e-4)
    assert pooled.se == pytest.approx(1.390444, rel=1e-6)
    # p = 2 P(t_4.205 > 2 / 1.390444), t = 1.438389
    assert pooled.p_value == pytest.approx(2 * sps.t.sf(1.438389, 4.205), rel=1e-5)
    # fraction of missing information = lambda
    assert pooled.fmi == pytest.approx(0.689655, rel=1e-5)


def test_pool_rubin_interval_limits_are_the_t_interval():
    # Q-bar -/+ t(4.205, 0.975) * 1.390444, by hand from the values above
    pooled = e.pool_rubin(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.7, 0.6]))
    half = sps.t.ppf(0.975, 4.205) * 1.390444
    assert pooled.ci_low == pytest.approx(2.0 - half, rel=1e-4)
    assert pooled.ci_high == pytest.approx(2.0 + half, rel=1e-4)
    assert (pooled.ci_low, pooled.ci_high) == pooled.ci


def test_pool_rubin_barnard_rubin_df_by_hand():
    # df_com = 10: df_obs = 11/13 * 10 * (1 - 0.689655) = 2.625995;
    # df = 4.205 * 2.625995 / (4.205 + 2.625995) = 1.616530
    pooled = e.pool_rubin(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.7, 0.6]), df_complete=10)
    assert pooled.df == pytest.approx(1.616530, rel=1e-4)


def test_pool_rubin_without_between_variance_uses_complete_df():
    pooled = e.pool_rubin(np.array([2.0, 2.0]), np.array([1.0, 1.0]), df_complete=20)
    assert pooled.df == 20
    assert pooled.p_value == pytest.approx(2 * sps.t.sf(2.0, 20))


def test_pool_rubin_rejects_single_imputation():
    with pytest.raises(ValueError, match="at least 2 imputations"):
        e.pool_rubin(np.array([1.0]), np.array([1.0]))


def test_pool_rubin_rejects_negative_variance():
    with pytest.raises(ValueError, match="variances must be >= 0"):
        e.pool_rubin(np.array([1.0, 2.0]), np.array([1.0, -1.0]))


def _frame(seed: int = 1, n: int = 12, n_missing: int = 4) -> pd.DataFrame:
    """Ld-IL2 improves by about 8 points more than placebo; the last Ld-IL2 outcomes missing."""
    rng = np.random.default_rng(seed)
    arm = np.repeat([c.ARM_LDIL2, c.ARM_PLACEBO], n)
    base = rng.normal(30, 6, 2 * n)
    outcome = -0.3 * base - np.where(arm == c.ARM_LDIL2, 8.0, 0.0) + rng.normal(0, 4, 2 * n)
    outcome[n - n_missing : n] = np.nan
    return pd.DataFrame({c.ARM: arm, BASELINE: base, OUTCOME: outcome})


def test_ancova_arm_effect_matches_statsmodels_for_every_imputed_data_set():
    frame = _frame().dropna()
    rng = np.random.default_rng(2)
    outcomes = frame[OUTCOME].to_numpy() + rng.normal(0, 3, (4, len(frame)))
    d, var, df = e.ancova_arm_effect(outcomes, frame[c.ARM].to_numpy(), frame[BASELINE].to_numpy())
    term = "C(arm, Treatment('placebo'))[T.ldil2]"
    for k, outcome in enumerate(outcomes):
        data = frame.assign(outcome=outcome)
        fit = smf.ols("outcome ~ C(arm, Treatment('placebo')) + baseline", data=data).fit()
        assert d[k] == pytest.approx(fit.params[term])
        assert var[k] == pytest.approx(fit.bse[term] ** 2)
        assert df == fit.df_resid


def test_impute_normal_by_arm_fills_only_missing_and_is_seeded():
    frame = _frame()
    draws, missing = e.impute_normal_by_arm(frame, 5, np.random.default_rng(7))
    again, _ = e.impute_normal_by_arm(frame, 5, np.random.default_rng(7))
    assert missing.sum() == 4
    assert not np.isnan(draws).any()
    np.testing.assert_array_equal(draws[:, ~missing], np.tile(frame[OUTCOME][~missing], (5, 1)))
    np.testing.assert_array_equal(draws, again)
    assert np.ptp(draws[:, missing], axis=0).min() > 0  # imputations differ between draws


def test_impute_normal_by_arm_rejects_missing_baseline():
    frame = _frame()
    frame.loc[3, BASELINE] = np.nan
    with pytest.raises(ValueError, match="baseline is missing for row 3"):
        e.impute_normal_by_arm(frame, 2, np.random.default_rng(0))


def test_tipping_point_p_values_increase_with_delta():
    frame = _frame()
    draws, missing = e.impute_normal_by_arm(frame, 20, np.random.default_rng(3))
    deltas = np.arange(0.0, 60.0, 2.0)
    tp = e.tipping_point(frame, draws, missing, deltas)
    # while the shifted estimate still favours Ld-IL2 (< 0) the p-value rises with delta
    favours = tp.grid[tp.grid["estimate"] < 0]
    assert len(favours) > 5
    assert (np.diff(favours["p_value"]) > 0).all()
    assert (np.diff(tp.grid["estimate"]) > 0).all()
    assert tp.grid["p_value"].iloc[0] < 0.05
    assert tp.tipping_delta is not None
    # the tipping delta is where the p-value crosses alpha, within the tolerance
    shift = np.where(missing & (frame[c.ARM] == c.ARM_LDIL2).to_numpy(), 1.0, 0.0)
    at = e.pool_ancova(frame, draws, shift * tp.tipping_delta).p_value
    below = e.pool_ancova(frame, draws, shift * (tp.tipping_delta - tp.tolerance)).p_value
    assert below < 0.05 <= at


def test_tipping_point_is_zero_when_not_significant_unshifted():
    frame = _frame()
    frame[OUTCOME] = frame[OUTCOME] + np.where(frame[c.ARM] == c.ARM_LDIL2, 8.0, 0.0)
    draws, missing = e.impute_normal_by_arm(frame, 10, np.random.default_rng(3))
    tp = e.tipping_point(frame, draws, missing, np.arange(0.0, 10.0, 1.0))
    assert tp.tipping_delta == 0.0


# ---------------------------------------------------------------------------------------------
# The multiple imputation of the shipped release
# ---------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped_analysis() -> pd.DataFrame:
    return make_analysis_table(load(ROOT / "data"))


def test_multiple_imputation_imputes_the_withdrawn_and_is_reproducible(shipped_analysis):
    first = e.multiple_imputation(shipped_analysis, "cdai", 5, 11)
    again = e.multiple_imputation(shipped_analysis, "cdai", 5, 11)
    assert first.pooled == again.pooled and first.mcse == again.mcse
    subjects = pd.read_csv(ROOT / "data" / "subjects.csv")
    assert first.missing.sum() == (~subjects["completed"]).sum()
    # stage 2 of von Hippel's rule: the pilot's 5 draws are kept and more are added
    assert first.pilot == 5
    assert first.pooled.m == e.von_hippel_imputations(first.pilot_fmi, 5, e.SE_CV) > 5
    assert len(first.draws) == first.pooled.m
    pilot = e.impute_normal_by_arm(first.frame, 5, np.random.default_rng(11))[0]
    np.testing.assert_array_equal(first.draws[:5], pilot)


def test_multiple_imputation_counts_and_means_per_arm(shipped_analysis):
    mi = e.multiple_imputation(shipped_analysis, "cdai", 5, 11)
    subjects = pd.read_csv(ROOT / "data" / "subjects.csv")
    for arm in c.ARMS:
        in_arm = subjects["arm"] == arm
        assert mi.n_subjects(arm) == in_arm.sum()
        assert mi.n_imputed(arm) == (in_arm & ~subjects["completed"]).sum()
        # the mean over imputations of the arm mean, recomputed from the draws by hand
        columns = (mi.frame[c.ARM] == arm).to_numpy()
        means = [draw[columns].sum() / columns.sum() for draw in mi.draws]
        assert mi.arm_mean(arm) == pytest.approx(sum(means) / len(means))
    assert f"{mi.pooled.m} imputations of the missing week-24 change" in mi.description
    assert "(seed 11)" in mi.description and "von Hippel" in mi.description


# ---------------------------------------------------------------------------------------------
# Monte Carlo error and the number of imputations
# ---------------------------------------------------------------------------------------------


def test_von_hippel_imputations_hand_value():
    # von Hippel 2020: fmi 0.3 from 20 pilot imputations: logit(0.3) = -0.84730, plus
    # 1.95996 * sqrt(2/20) = 0.61980 -> -0.22750, expit = 0.44337 (upper 95% limit);
    # m = 1 + 0.5 (0.44337 / 0.05)^2 = 40.3 -> 41; with cv 0.01: 983.9 -> 984
    assert e.von_hippel_imputations(0.3, 20, cv=0.05) == 41
    assert e.von_hippel_imputations(0.3, 20, cv=0.01) == 984
    assert e.von_hippel_imputations(0.0, 20) == 20  # nothing missing: the pilot suffices
    assert e.von_hippel_imputations(0.01, 50, cv=0.05) == 50  # never fewer than the pilot


def test_von_hippel_imputations_rejects_invalid_input():
    with pytest.raises(ValueError, match="fmi"):
        e.von_hippel_imputations(1.0, 20)
    with pytest.raises(ValueError, match="pilot"):
        e.von_hippel_imputations(0.3, 1)


def test_monte_carlo_error_of_the_estimate_is_sqrt_b_over_m_and_of_p_a_jackknife():
    rng = np.random.default_rng(4)
    q, u = rng.normal(-5, 1, 30), np.full(30, 4.0)
    mc = e.monte_carlo_error(q, u, df_complete=40)
    assert mc.estimate == pytest.approx(np.sqrt(q.var(ddof=1) / 30))
    p = [e.pool_rubin(np.delete(q, j), np.delete(u, j), 40).p_value for j in range(30)]
    assert mc.p_value == pytest.approx(np.sqrt(29 / 30 * np.sum((p - np.mean(p)) ** 2)))
    with pytest.raises(ValueError, match="at least 3"):
        e.monte_carlo_error(q[:2], u[:2])


def test_monte_carlo_error_predicts_the_spread_over_seeds(shipped_analysis):
    # independent check: the MCSE of one run is close to the SD of the pooled estimate and P
    # over 20 seeds (pilot 10, a loose target so that each run is small)
    runs = [e.multiple_imputation(shipped_analysis, "cdai", 10, s, cv=0.05) for s in range(20)]
    spread = np.std([r.pooled.estimate for r in runs], ddof=1)
    p_spread = np.std([r.pooled.p_value for r in runs], ddof=1)
    assert np.median([r.mcse.estimate for r in runs]) == pytest.approx(spread, rel=0.5)
    assert np.median([r.mcse.p_value for r in runs]) == pytest.approx(p_spread, rel=0.5)
