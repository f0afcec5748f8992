"""Tests of ldil2.estimands: Rubin's rules, imputation, ANCOVA, tipping point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps

from ldil2 import contract as c
from ldil2 import data, derive, ledger, testing
from ldil2 import estimands as e


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
    return pd.DataFrame({c.ARM: arm, e.BASELINE: base, e.OUTCOME: outcome})


def test_ancova_arm_effect_matches_statsmodels():
    frame = _frame().dropna()
    d, var, df = e.ancova_arm_effect(
        frame[e.OUTCOME].to_numpy(), frame[c.ARM].to_numpy(), frame[e.BASELINE].to_numpy()
    )
    fit = smf.ols("outcome ~ C(arm, Treatment('placebo')) + baseline", data=frame).fit()
    term = "C(arm, Treatment('placebo'))[T.ldil2]"
    assert d == pytest.approx(fit.params[term])
    assert var == pytest.approx(fit.bse[term] ** 2)
    assert df == fit.df_resid


def test_impute_normal_by_arm_fills_only_missing_and_is_seeded():
    frame = _frame()
    draws, missing = e.impute_normal_by_arm(frame, 5, np.random.default_rng(7))
    again, _ = e.impute_normal_by_arm(frame, 5, np.random.default_rng(7))
    assert missing.sum() == 4
    assert not np.isnan(draws).any()
    np.testing.assert_array_equal(draws[:, ~missing], np.tile(frame[e.OUTCOME][~missing], (5, 1)))
    np.testing.assert_array_equal(draws, again)
    assert np.ptp(draws[:, missing], axis=0).min() > 0  # imputations differ between draws


def test_impute_normal_by_arm_rejects_missing_baseline():
    frame = _frame()
    frame.loc[3, e.BASELINE] = np.nan
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
    frame[e.OUTCOME] = frame[e.OUTCOME] + np.where(frame[c.ARM] == c.ARM_LDIL2, 8.0, 0.0)
    draws, missing = e.impute_normal_by_arm(frame, 10, np.random.default_rng(3))
    tp = e.tipping_point(frame, draws, missing, np.arange(0.0, 10.0, 1.0))
    assert tp.tipping_delta == 0.0


# ---------------------------------------------------------------------------------------------
# Estimands of the primary endpoints on the shipped data and in the chapter
# ---------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped_analysis() -> pd.DataFrame:
    return derive.make_analysis_table(data.load(ROOT / "data"))


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


def test_mi_frame_has_one_row_per_randomized_subject(shipped_analysis):
    frame = e.mi_frame(shipped_analysis, "cdai", 24, "itt")
    subjects = pd.read_csv(ROOT / "data" / "subjects.csv")
    assert len(frame) == len(subjects)
    # the outcome is missing exactly for those without a week-24 visit: the withdrawn
    withdrawn = subjects.set_index("subject_id")["completed"].eq(False)
    assert frame[e.OUTCOME].isna().sort_index().tolist() == withdrawn.sort_index().tolist()


def test_multiple_imputation_imputes_the_withdrawn_and_is_reproducible(shipped_analysis):
    first = e.multiple_imputation(shipped_analysis, "cdai", 5, 11)
    again = e.multiple_imputation(shipped_analysis, "cdai", 5, 11)
    assert first.pooled == again.pooled
    subjects = pd.read_csv(ROOT / "data" / "subjects.csv")
    assert first.missing.sum() == (~subjects["completed"]).sum()
    assert first.pooled.m == 5


def _result(endpoint: str, estimand: str, p: float) -> e.EstimandResult:
    return e.EstimandResult(endpoint, estimand, "week 24", "model", "a", "b", "effect", p)


def test_verdict_names_where_a_conclusion_holds_and_where_not():
    results = [
        _result("ACR20", "Per-protocol (as published)", 0.01),
        _result("ACR20", "ITT with non-responder imputation", 0.2),
        _result("CDAI", "Per-protocol (as published)", 0.001),
        _result("CDAI", "ITT with multiple imputation", 0.004),
        _result("Remission", "Per-protocol (as published)", 0.5),
    ]
    text = e.verdict(results, {})
    assert (
        "ACR20: depends on the estimand. Significant (P < 0.05): Per-protocol (as published), "
        "week 24, P = 0.010. Not significant: ITT with non-responder imputation, week 24, "
        "P = 0.200." in text
    )
    assert "CDAI: significant (P < 0.05) in every analysis" in text
    assert "Remission: significant in no analysis" in text


def test_tipping_sentence_reports_the_delta():
    grid = pd.DataFrame({"delta": [0.0, 1.0]})
    tipped = e.TippingPoint(grid, 10.64, 0.05, 0.01)
    assert "assumed 10.6 points worse" in e.tipping_sentence("cdai", tipped)
    never = e.TippingPoint(grid, None, 0.05, 0.01)
    assert "still significant if" in e.tipping_sentence("cdai", never)
    at_zero = e.TippingPoint(grid, 0.0, 0.05, 0.01)
    assert "not significant even before any shift" in e.tipping_sentence("cdai", at_zero)


def test_estimands_chapter_runs_on_a_small_release(tmp_path, execute):
    small = testing.small_release(tmp_path / "small", per_arm=8)
    executed = execute("estimands", {"mi_imputations": 5}, data_dir=small)
    names = {o.metadata["scrapbook"]["name"] for cell in executed.notebook.cells
             for o in cell.get("outputs", []) if "scrapbook" in o.get("metadata", {})}  # fmt: skip
    assert {"estimand_table", "estimand_results_table", "cdai_tipping_fig", "verdict"} <= names


# ---------------------------------------------------------------------------------------------
# The built editions (slow: share the session builds)
# ---------------------------------------------------------------------------------------------


def _page(out: Path, name: str) -> str:
    return (out / "html" / "chapters" / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.build
def test_built_book_has_the_estimands_ledger_and_changes_pages(built_book: Path):
    estimands = _page(built_book, "estimands")
    assert "Intercurrent event (withdrawal) and strategy" in estimands
    assert "ITT with multiple imputation" in estimands
    assert 'alt="Two line charts against the shift' in estimands
    release = data.load(ROOT / "data")
    expected = ledger.ledger_summary(
        ledger.make_ledger(release, derive.make_analysis_table(release))
    )
    assert expected in _page(built_book, "ledger")
    assert "What changed" in _page(built_book, "changes")
    for name in ("estimands", "ledger", "changes"):
        assert "Traceback" not in _page(built_book, name)


@pytest.mark.build
def test_itt_edition_builds_and_recomputes_the_ledger_in_the_published_populations(
    itt_book: Path,
):
    report = json.loads((itt_book / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "ok"
    assert report["parameters"]["population"] == "itt"
    assert all(chapter["status"] != "failed" for chapter in report["chapters"].values())
    # the ledger compares each number in the population the record states, whatever the edition
    release = data.load(ROOT / "data")
    expected = ledger.ledger_summary(
        ledger.make_ledger(release, derive.make_analysis_table(release))
    )
    assert expected in _page(itt_book, "ledger")
    assert "intention-to-treat population" in _page(itt_book, "primary")
