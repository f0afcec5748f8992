"""Tests of ldil2.indices against hand arithmetic, an independent scalar re-implementation and
properties. Formulas: ../shared/reference/ra-indices.md (das-score.nl; Aletaha & Smolen 2005)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ldil2.derive import indices as ix

joints = st.integers(0, 28)
vas = st.floats(0, 100)
esr = st.floats(1, 150)
crp = st.floats(0, 300)


def test_das28_esr_worked_example():
    # 0.56*sqrt(4) + 0.28*sqrt(3) + 0.70*ln(20) + 0.014*50
    # = 1.12 + 0.48497423 + 2.09701259 + 0.70 = 4.40198682
    assert ix.das28_esr(4, 3, 20, 50) == pytest.approx(4.40198682, abs=1e-8)


def test_das28_esr_zero_point():
    # every term is 0: sqrt(0), sqrt(0), ln(1) = 0, 0.014*0
    assert ix.das28_esr(0, 0, 1, 0) == 0.0


def test_das28_crp_worked_example():
    # 1.12 + 0.48497423 + 0.36*ln(12 + 1) + 0.70 + 0.96
    # = 1.12 + 0.48497423 + 0.92338177 + 0.70 + 0.96 = 4.18835600
    assert ix.das28_crp(4, 3, 12, 50) == pytest.approx(4.188356, abs=1e-8)


def test_cdai_and_sdai_worked_example():
    # CDAI = 4 + 3 + 50/10 + 40/10 = 16; SDAI = 16 + 12 mg/L / 10 = 17.2
    assert ix.cdai(4, 3, 50, 40) == pytest.approx(16.0)
    assert ix.sdai(4, 3, 50, 40, 12) == pytest.approx(17.2)


def test_cdai_maximum_is_76():
    # 28 + 28 + 10 + 10
    assert ix.cdai(28, 28, 100, 100) == pytest.approx(76.0)


def _das28_esr_scalar(t, s, e, p):
    return 0.56 * math.sqrt(t) + 0.28 * math.sqrt(s) + 0.70 * math.log(e) + 0.014 * p


def _das28_crp_scalar(t, s, c, p):
    return 0.56 * math.sqrt(t) + 0.28 * math.sqrt(s) + 0.36 * math.log(c + 1) + 0.014 * p + 0.96


def test_indices_match_scalar_reimplementation_on_random_cases():
    rng = np.random.default_rng(7)
    t, s = rng.integers(0, 29, 200), rng.integers(0, 29, 200)
    e, c = rng.uniform(1, 120, 200), rng.uniform(0, 100, 200)
    p, ph = rng.uniform(0, 100, 200), rng.uniform(0, 100, 200)
    expected_esr = [_das28_esr_scalar(*row) for row in zip(t, s, e, p, strict=True)]
    expected_crp = [_das28_crp_scalar(*row) for row in zip(t, s, c, p, strict=True)]
    np.testing.assert_allclose(ix.das28_esr(t, s, e, p), expected_esr, rtol=1e-12)
    np.testing.assert_allclose(ix.das28_crp(t, s, c, p), expected_crp, rtol=1e-12)
    np.testing.assert_allclose(ix.sdai(t, s, p, ph, c), t + s + p / 10 + ph / 10 + c / 10)


def test_series_input_keeps_index_and_missing_gives_nan():
    tjc = pd.Series([4, pd.NA, 2], index=["a", "b", "c"], dtype="Int64")
    result = ix.das28_esr(tjc, 3, 20.0, 50.0)
    assert isinstance(result, pd.Series)
    assert list(result.index) == ["a", "b", "c"]
    assert np.isnan(result["b"])
    assert result["a"] == pytest.approx(4.40198682, abs=1e-8)


def test_array_input_returns_array_of_same_shape():
    result = ix.cdai(np.array([[1, 2], [3, 4]]), 0, 0.0, 0.0)
    assert isinstance(result, np.ndarray)
    assert result.shape == (2, 2)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_scalar_missing_gives_nan(missing):
    assert np.isnan(ix.sdai(1, 1, 10.0, 10.0, missing))


def test_series_on_different_indexes_rejected():
    with pytest.raises(ValueError, match="index"):
        ix.cdai(pd.Series([1], index=[0]), pd.Series([1], index=[1]), 0, 0)


def test_das28_esr_rejects_zero_esr():
    with pytest.raises(ValueError, match="esr_mm_h: 0 violates > 0"):
        ix.das28_esr(1, 1, 0, 10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tjc28": -1}, "tjc28: -1 violates >= 0"),
        ({"sjc28": 29}, "sjc28: 29 violates <= 28"),
        ({"ptga_mm": 100.5}, "ptga_mm: 100.5 violates <= 100"),
        ({"crp_mg_l": -0.1}, "crp_mg_l: -0.1 violates >= 0"),
    ],
)
def test_das28_crp_rejects_out_of_range(kwargs, match):
    args = {"tjc28": 1, "sjc28": 1, "crp_mg_l": 5.0, "ptga_mm": 10.0} | kwargs
    with pytest.raises(ValueError, match=match):
        ix.das28_crp(**args)


def test_cdai_rejects_negative_physician_global():
    with pytest.raises(ValueError, match="phga_mm"):
        ix.cdai(1, 1, 10, -5)


def test_non_numeric_input_rejected():
    with pytest.raises(ValueError, match="tjc28"):
        ix.cdai("many", 1, 10, 10)


@pytest.mark.parametrize(
    ("score", "state"),
    [
        (2.59, "remission"),
        (2.6, "low"),
        (3.2, "low"),
        (3.21, "moderate"),
        (5.1, "moderate"),
        (5.11, "high"),
    ],
)
def test_das28_category_both_sides_of_thresholds(score, state):
    assert ix.das28_category(score) == state


@pytest.mark.parametrize(
    ("score", "state"),
    [(2.8, "remission"), (2.81, "low"), (10, "low"), (10.1, "moderate"), (22, "moderate")]
    + [(22.1, "high")],
)
def test_cdai_category_both_sides_of_thresholds(score, state):
    assert ix.cdai_category(score) == state


@pytest.mark.parametrize(
    ("score", "state"),
    [(3.3, "remission"), (3.31, "low"), (11, "low"), (11.1, "moderate"), (26, "moderate")]
    + [(26.1, "high")],
)
def test_sdai_category_both_sides_of_thresholds(score, state):
    assert ix.sdai_category(score) == state


def test_category_of_series_is_ordered_categorical_with_missing():
    result = ix.das28_category(pd.Series([1.0, np.nan, 6.0]))
    assert result.dtype == pd.CategoricalDtype(ix.DAS28_CATEGORIES, ordered=True)
    assert result.isna().tolist() == [False, True, False]
    assert result.cat.codes.tolist() == [0, -1, 3]
    assert np.isnan(ix.cdai_category(np.nan))


def test_cdai_computed_at_threshold_is_remission():
    # 0 + 0 + 14 mm/10 + 14 mm/10 = 2.8 exactly -> remission (<= 2.8)
    assert ix.cdai_category(ix.cdai(0, 0, 14, 14)) == "remission"


@pytest.mark.parametrize(
    ("args", "v2011", "v2022"),
    [
        ((1, 1, 10.0, 10.0), True, True),  # every criterion at its limit (CRP 10 mg/L = 1 mg/dL)
        ((1, 1, 10.0, 20.0), False, True),  # PtGA 2.0 cm: 2022 only
        ((1, 1, 10.0, 20.1), False, False),
        ((2, 0, 0.0, 0.0), False, False),  # TJC28 2
        ((0, 2, 0.0, 0.0), False, False),  # SJC28 2
        ((0, 0, 10.1, 0.0), False, False),  # CRP 1.01 mg/dL
    ],
)
def test_boolean_remission_2011_and_2022(args, v2011, v2022):
    assert ix.boolean_remission(*args, version=2011) is v2011
    assert ix.boolean_remission(*args, version=2022) is v2022


def test_boolean_remission_missing_and_series():
    assert ix.boolean_remission(0, 0, np.nan, 0) is pd.NA
    result = ix.boolean_remission(pd.Series([0, 0]), 0, pd.Series([1.0, np.nan]), 0)
    assert result.dtype == "boolean"
    assert result.iloc[0]
    assert result.isna().tolist() == [False, True]


def test_boolean_remission_rejects_unknown_version():
    with pytest.raises(ValueError, match="version"):
        ix.boolean_remission(0, 0, 0, 0, version=2015)


@given(joints, joints, vas, vas, crp)
def test_sdai_minus_cdai_is_crp_in_mg_dl(t, s, p, ph, c):
    # mg/L -> mg/dL: divide by 10
    assert ix.sdai(t, s, p, ph, c) - ix.cdai(t, s, p, ph) == pytest.approx(c / 10, abs=1e-9)


@given(joints, joints, vas, vas)
def test_cdai_bounds(t, s, p, ph):
    assert 0 <= ix.cdai(t, s, p, ph) <= 76 + 1e-9


@given(joints, joints, esr, vas)
def test_das28_esr_monotone_in_each_component(t, s, e, p):
    base = ix.das28_esr(t, s, e, p)
    assert ix.das28_esr(min(t + 1, 28), s, e, p) >= base
    assert ix.das28_esr(t, min(s + 1, 28), e, p) >= base
    assert ix.das28_esr(t, s, e + 1, p) > base
    assert ix.das28_esr(t, s, e, min(p + 1, 100)) >= base


@given(joints, joints, crp, vas)
def test_das28_crp_monotone_and_bounded(t, s, c, p):
    base = ix.das28_crp(t, s, c, p)
    assert base >= 0.96
    assert ix.das28_crp(t, s, c + 1, p) > base
    assert ix.das28_crp(min(t + 1, 28), s, c, p) >= base
    assert ix.das28_crp(t, s, c, min(p + 1, 100)) >= base


@given(joints, joints, vas, vas, crp)
def test_sdai_monotone_in_each_component(t, s, p, ph, c):
    base = ix.sdai(t, s, p, ph, c)
    assert ix.sdai(min(t + 1, 28), s, p, ph, c) >= base
    assert ix.sdai(t, min(s + 1, 28), p, ph, c) >= base
    assert ix.sdai(t, s, min(p + 1, 100), ph, c) >= base
    assert ix.sdai(t, s, p, min(ph + 1, 100), c) >= base
    assert ix.sdai(t, s, p, ph, c + 1) > base
