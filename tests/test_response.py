"""Tests of ldil2.response: ACR (Felson 1995) and EULAR (van Gestel 1996) edge cases, with the
rules of ../shared/reference/ra-indices.md."""

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.derive.response import acr_response, eular_response

BASE = {
    c.TJC68: 10, c.SJC66: 10, c.TJC28: 5, c.SJC28: 5, c.PAIN: 50.0, c.PTGA: 50.0,
    c.PHGA: 50.0, c.HAQ: 1.0, c.CRP: 10.0, c.ESR: 20.0,
}  # fmt: skip
# exactly 20% better on every measure: 8/10, 4/5, 40/50, 0.8/1.0, 8/10, 16/20
EXACT20 = {
    c.TJC68: 8, c.SJC66: 8, c.TJC28: 4, c.SJC28: 4, c.PAIN: 40.0, c.PTGA: 40.0,
    c.PHGA: 40.0, c.HAQ: 0.8, c.CRP: 8.0, c.ESR: 16.0,
}  # fmt: skip


def acr(visit_changes=None, base_changes=None, **kwargs):
    baseline = pd.DataFrame([BASE | (base_changes or {})])
    visit = pd.DataFrame([EXACT20 | (visit_changes or {})])
    return acr_response(baseline, visit, **kwargs).iloc[0]


def test_acr20_exactly_20_percent_is_a_response():
    assert acr()


def test_acr20_counts_just_under_20_percent_fail():
    # tender 68 count 10 -> 9 is a 10% improvement
    assert not acr({c.TJC68: 9})


def test_acr20_needs_three_of_five_other_measures():
    # pain and patient global not improved: 3 of 5 left (phga, haq, crp) -> response
    assert acr({c.PAIN: 50.0, c.PTGA: 50.0})
    # also phga not improved: 2 of 5 -> no response
    assert not acr({c.PAIN: 50.0, c.PTGA: 50.0, c.PHGA: 45.0})


def test_acr50_and_acr70_levels():
    # 50% better on every measure gives ACR50 but not ACR70
    half = {k: v / 2 for k, v in BASE.items()}
    assert acr(half, level=50)
    assert not acr(half, level=70)


def test_acr_zero_baseline_counts_as_not_improved():
    # swollen count 0 at baseline cannot improve by 20% -> no response
    assert not acr({c.SJC66: 0}, {c.SJC66: 0})
    # a zero baseline among the other 5 measures just fails that measure
    assert acr({c.PAIN: 0.0}, {c.PAIN: 0.0})
    assert not acr({c.PAIN: 0.0, c.PTGA: 50.0, c.PHGA: 50.0}, {c.PAIN: 0.0})


def test_acr_missing_joint_count_gives_missing_response():
    assert acr({c.TJC68: np.nan}) is pd.NA
    assert acr(None, {c.SJC66: np.nan}) is pd.NA


def test_acr_missing_other_measure_counts_as_not_improved():
    # haq missing: 4 of 5 left -> response; haq and pain and ptga missing -> 2 of 5 -> none
    assert acr({c.HAQ: np.nan})
    assert not acr({c.HAQ: np.nan, c.PAIN: np.nan, c.PTGA: np.nan})


def test_acr_uses_esr_when_crp_missing():
    # CRP missing, ESR 20 -> 16 improved: with pain and ptga not improved, 3 of 5 still hold
    assert acr({c.CRP: np.nan, c.PAIN: 50.0, c.PTGA: 50.0})
    # CRP missing and ESR not improved: 2 of 5
    assert not acr({c.CRP: np.nan, c.ESR: 20.0, c.PAIN: 50.0, c.PTGA: 50.0})
    # CRP present and not improved: ESR is not consulted
    assert not acr({c.CRP: 10.0, c.PAIN: 50.0, c.PTGA: 50.0})


def test_acr_joint_set_parameter():
    # 68/66 counts not improved, 28-joint counts improved
    changes = {c.TJC68: 10, c.SJC66: 10}
    assert not acr(changes, joints="68/66")
    assert acr(changes, joints="28")


def test_acr_rejects_bad_arguments():
    with pytest.raises(ValueError, match="level"):
        acr(level=30)
    with pytest.raises(ValueError, match="joints"):
        acr(joints="44")
    with pytest.raises(ValueError, match="aligned"):
        acr_response(pd.DataFrame([BASE], index=[1]), pd.DataFrame([EXACT20], index=[2]))
    with pytest.raises(ValueError, match="missing columns"):
        acr_response(pd.DataFrame([BASE]).drop(columns=c.HAQ), pd.DataFrame([EXACT20]))


def test_acr_returns_nullable_boolean_on_visit_index():
    baseline = pd.DataFrame([BASE, BASE], index=[10, 11])
    visit = pd.DataFrame([EXACT20, EXACT20 | {c.TJC68: np.nan}], index=[10, 11])
    result = acr_response(baseline, visit)
    assert result.dtype == "boolean"
    assert list(result.index) == [10, 11]
    assert result.isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("base", "visit", "expected"),
    [
        # DAS28 at visit <= 3.2
        (4.41, 3.2, "good"),  # improvement 1.21
        (4.4, 3.2, "moderate"),  # improvement exactly 1.2
        (3.8, 3.2, "none"),  # exactly 0.6
        (3.81, 3.2, "moderate"),  # 0.61
        # 3.2 < DAS28 <= 5.1
        (6.4, 5.1, "moderate"),  # 1.3
        (5.71, 5.1, "moderate"),  # 0.61
        (5.7, 5.1, "none"),  # 0.6
        # DAS28 > 5.1
        (6.5, 5.2, "moderate"),  # 1.3
        (6.4, 5.2, "none"),  # exactly 1.2
        (6.0, 5.2, "none"),  # 0.8
    ],
)
def test_eular_response_table(base, visit, expected):
    assert eular_response(base, visit) == expected


def test_eular_response_series_and_missing():
    result = eular_response(pd.Series([5.0, np.nan]), pd.Series([3.0, 3.0]))
    assert result.tolist()[0] == "good"
    assert result.isna().tolist() == [False, True]
    assert np.isnan(eular_response(np.nan, 3.0))
    assert eular_response(np.array([5.0, 5.0]), np.array([3.0, 4.9])).tolist() == ["good", "none"]


def _acr_scalar(base, visit, level, tender, swollen):
    """Independent loop re-implementation of Felson's rule (ra-indices.md) for one visit."""

    def better(b, v):
        if b is None or v is None or np.isnan(b) or np.isnan(v) or b == 0:
            return False
        return (b - v) / b >= level / 100 - 1e-9

    if any(np.isnan(x) for x in (base[tender], visit[tender], base[swollen], visit[swollen])):
        return None
    if not (better(base[tender], visit[tender]) and better(base[swollen], visit[swollen])):
        return False
    crp_known = not (np.isnan(base[c.CRP]) or np.isnan(visit[c.CRP]))
    reactant = c.CRP if crp_known else c.ESR
    others = [c.PAIN, c.PTGA, c.PHGA, c.HAQ, reactant]
    return sum(better(base[m], visit[m]) for m in others) >= 3


@pytest.mark.parametrize("level", [20, 50, 70])
def test_acr_matches_loop_reimplementation_on_random_cases(level):
    rng = np.random.default_rng(level)
    n = 300
    columns = list(BASE)
    # small integers make zero baselines, exact-threshold ratios (e.g. 4 -> 2 is 50%) and ties
    baseline = pd.DataFrame({k: rng.integers(0, 8, n).astype(float) for k in columns})
    visit = pd.DataFrame({k: rng.integers(0, 4, n).astype(float) for k in columns})
    for frame in (baseline, visit):  # sprinkle missing values
        frame[frame.map(lambda _: rng.random() < 0.05)] = np.nan
    result = acr_response(baseline, visit, level=level)
    expected = [
        _acr_scalar(baseline.loc[i], visit.loc[i], level, c.TJC68, c.SJC66) for i in range(n)
    ]
    assert [None if v is pd.NA else bool(v) for v in result] == expected
    assert result.notna().sum() > 100 and result.fillna(False).sum() > 5


def _eular_scalar(base, visit):
    gain = round(base - visit, 9)
    if visit <= 3.2:
        return "good" if gain > 1.2 else "moderate" if gain > 0.6 else "none"
    if visit <= 5.1:
        return "moderate" if gain > 0.6 else "none"
    return "moderate" if gain > 1.2 else "none"


def test_eular_matches_loop_reimplementation_on_random_cases():
    rng = np.random.default_rng(11)
    base = np.round(rng.uniform(2, 8, 500), 2)
    visit = np.round(rng.uniform(1, 8, 500), 2)
    expected = [_eular_scalar(b, v) for b, v in zip(base, visit, strict=True)]
    assert list(eular_response(base, visit)) == expected
