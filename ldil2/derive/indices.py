"""Composite disease-activity indices of rheumatoid arthritis and their categories.

Definitions, units and sources: ../shared/reference/ra-indices.md. Every function takes the data
contract's units (joint counts, VAS in mm, ESR in mm/h, CRP in mg/L), converts inside (mm -> cm,
mg/L -> mg/dL) and accepts scalars, numpy arrays or pandas Series, returning the same shape:
a float (or str/bool) for scalars, a numpy array for arrays, a Series on the input's index for
Series. A missing input (NaN, None, pd.NA) gives a missing result; an out-of-range input raises
ValueError naming the argument, the offending value and the rule, e.g.
``esr_mm_h: 0 violates > 0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

DAS28_CATEGORIES: tuple[str, ...] = ("remission", "low", "moderate", "high")
"""Ordered disease-activity states shared by DAS28, CDAI and SDAI."""

# (remission upper bound, low upper bound, moderate upper bound); see the category functions
DAS28_CUTS = (2.6, 3.2, 5.1)
CDAI_CUTS = (2.8, 10.0, 22.0)
SDAI_CUTS = (3.3, 11.0, 26.0)

# validation rules: (lower, lower_inclusive, upper) with upper inclusive; None = unbounded
_JOINTS28 = (0.0, True, 28.0)
_VAS = (0.0, True, 100.0)
_ESR = (0.0, False, None)
_CRP = (0.0, True, None)


def as_float_array(x: Any, name: str) -> np.ndarray:
    """Return `x` as a float ndarray (NaN for None, pd.NA and NaN); ValueError if not numeric."""
    if isinstance(x, pd.Series):
        series = x
    elif np.ndim(x) == 0:
        series = pd.Series([x], dtype=object)
    else:
        series = pd.Series(np.asarray(x, dtype=object).ravel())
    try:
        values = pd.to_numeric(series).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: non-numeric value ({exc})") from exc
    return values.reshape(np.shape(x)) if not isinstance(x, pd.Series) else values


def check_range(values: np.ndarray, name: str, rule: tuple[float, bool, float | None]) -> None:
    """Raise ValueError naming `name`, the first offending value and the rule it violates."""
    lower, inclusive, upper = rule
    bad_low = values < lower if inclusive else values <= lower
    if bad_low.any():
        op = ">=" if inclusive else ">"
        raise ValueError(f"{name}: {_fmt(values[bad_low].flat[0])} violates {op} {_fmt(lower)}")
    if upper is not None and (values > upper).any():
        raise ValueError(
            f"{name}: {_fmt(values[values > upper].flat[0])} violates <= {_fmt(upper)}"
        )


def _fmt(value: float) -> str:
    return f"{value:g}"


def template(*inputs: Any) -> Any:
    """The input that fixes the output's shape: the first Series, else the first array, else None.

    Raises ValueError when two Series inputs are not on the same index.
    """
    series = [x for x in inputs if isinstance(x, pd.Series)]
    for other in series[1:]:
        if not other.index.equals(series[0].index):
            raise ValueError("Series inputs must share one index")
    if series:
        return series[0]
    arrays = [x for x in inputs if np.ndim(x) > 0]
    return np.broadcast_shapes(*(np.shape(a) for a in arrays)) if arrays else None


def wrap(values: np.ndarray, like: Any, name: str | None = None) -> Any:
    """Return float `values` in the shape of `like` (see `template`); a Series is named `name`
    (unnamed by default: the column names of the analysis table are
    :mod:`ldil2.derive.analysis`'s)."""
    if isinstance(like, pd.Series):
        return pd.Series(values, index=like.index, name=name, dtype=float)
    if like is None:
        return float(np.asarray(values).reshape(-1)[0])
    return np.asarray(values, dtype=float).reshape(like)


def _inputs(**named: tuple[Any, tuple[float, bool, float | None]]) -> tuple[Any, list[np.ndarray]]:
    like = template(*(value for value, _ in named.values()))
    arrays = []
    for name, (value, rule) in named.items():
        values = as_float_array(value, name)
        check_range(values, name, rule)
        arrays.append(values)
    return like, list(np.broadcast_arrays(*arrays))


def das28_esr(tjc28: Any, sjc28: Any, esr_mm_h: Any, ptga_mm: Any) -> Any:
    """DAS28-ESR, 4 variables (unitless).

    Parameters
    ----------
    tjc28, sjc28 : tender and swollen joint counts of the 28-joint set, 0-28
    esr_mm_h : erythrocyte sedimentation rate in mm/h, > 0
    ptga_mm : patient global assessment of disease activity, VAS 0-100 mm

    Returns
    -------
    float, ndarray or Series (same shape as the input) : score; NaN where any input is missing

    Raises
    ------
    ValueError : names the argument, value and rule; ESR 0 is rejected, never clipped

    Notes
    -----
    0.56*sqrt(TJC28) + 0.28*sqrt(SJC28) + 0.70*ln(ESR) + 0.014*PtGA_mm

    References
    ----------
    Prevoo et al., Arthritis Rheum 1995;38:44-48; das-score.nl.
    """
    like, (t, s, esr, ptga) = _inputs(
        tjc28=(tjc28, _JOINTS28), sjc28=(sjc28, _JOINTS28), esr_mm_h=(esr_mm_h, _ESR),
        ptga_mm=(ptga_mm, _VAS),
    )  # fmt: skip
    score = 0.56 * np.sqrt(t) + 0.28 * np.sqrt(s) + 0.70 * np.log(esr) + 0.014 * ptga
    return wrap(score, like)


def das28_crp(tjc28: Any, sjc28: Any, crp_mg_l: Any, ptga_mm: Any) -> Any:
    """DAS28-CRP, 4 variables (unitless).

    Parameters
    ----------
    tjc28, sjc28 : joint counts, 0-28
    crp_mg_l : C-reactive protein in mg/L (NOT mg/dL), >= 0
    ptga_mm : patient global, VAS 0-100 mm

    Returns
    -------
    float, ndarray or Series : score; NaN where any input is missing

    Raises
    ------
    ValueError : names the argument, value and rule (negative CRP, counts outside 0-28, ...)

    Notes
    -----
    0.56*sqrt(TJC28) + 0.28*sqrt(SJC28) + 0.36*ln(CRP_mg_L + 1) + 0.014*PtGA_mm + 0.96

    References
    ----------
    das-score.nl, "alternative validated formulae"; Wells et al., Ann Rheum Dis 2009;68:954-960.
    """
    like, (t, s, crp, ptga) = _inputs(
        tjc28=(tjc28, _JOINTS28), sjc28=(sjc28, _JOINTS28), crp_mg_l=(crp_mg_l, _CRP),
        ptga_mm=(ptga_mm, _VAS),
    )  # fmt: skip
    score = 0.56 * np.sqrt(t) + 0.28 * np.sqrt(s) + 0.36 * np.log(crp + 1) + 0.014 * ptga + 0.96
    return wrap(score, like)


def cdai(tjc28: Any, sjc28: Any, ptga_mm: Any, phga_mm: Any) -> Any:
    """Clinical Disease Activity Index, range 0-76.

    Parameters
    ----------
    tjc28, sjc28 : joint counts, 0-28
    ptga_mm, phga_mm : patient and physician global assessments, VAS 0-100 mm

    Returns
    -------
    float, ndarray or Series : score; NaN where any input is missing

    Raises
    ------
    ValueError : names the argument, value and rule

    Notes
    -----
    TJC28 + SJC28 + PtGA_cm + PhGA_cm, with VAS cm = mm / 10.

    References
    ----------
    Aletaha & Smolen, Clin Exp Rheumatol 2005;23(5 Suppl 39):S100-S108.
    """
    like, (t, s, ptga, phga) = _inputs(
        tjc28=(tjc28, _JOINTS28), sjc28=(sjc28, _JOINTS28), ptga_mm=(ptga_mm, _VAS),
        phga_mm=(phga_mm, _VAS),
    )  # fmt: skip
    return wrap(t + s + ptga / 10 + phga / 10, like)


def sdai(tjc28: Any, sjc28: Any, ptga_mm: Any, phga_mm: Any, crp_mg_l: Any) -> Any:
    """Simplified Disease Activity Index, range 0-86 for CRP up to 10 mg/dL.

    Parameters
    ----------
    tjc28, sjc28 : joint counts, 0-28
    ptga_mm, phga_mm : patient and physician globals, VAS 0-100 mm
    crp_mg_l : C-reactive protein in mg/L, >= 0 (converted to mg/dL inside)

    Returns
    -------
    float, ndarray or Series : score; NaN where any input is missing

    Raises
    ------
    ValueError : names the argument, value and rule

    Notes
    -----
    TJC28 + SJC28 + PtGA_cm + PhGA_cm + CRP_mg_dL, with CRP_mg_dL = CRP_mg_L / 10.

    References
    ----------
    Smolen et al., Rheumatology 2003;42:244-257.
    """
    like, (t, s, ptga, phga, crp) = _inputs(
        tjc28=(tjc28, _JOINTS28), sjc28=(sjc28, _JOINTS28), ptga_mm=(ptga_mm, _VAS),
        phga_mm=(phga_mm, _VAS), crp_mg_l=(crp_mg_l, _CRP),
    )  # fmt: skip
    return wrap(t + s + ptga / 10 + phga / 10 + crp / 10, like)


def categorize(score: Any, cuts: tuple[float, float, float], strict_remission: bool) -> Any:
    """Map scores to DAS28_CATEGORIES with upper-inclusive cut-offs (see the category functions).

    `strict_remission` makes the remission bound exclusive (DAS28: remission < 2.6).
    Returns str for a scalar (NaN if missing), an object ndarray for an array, and an ordered
    categorical Series for a Series.
    """
    values = as_float_array(score, "score")
    remission = values < cuts[0] if strict_remission else values <= cuts[0]
    conditions = [remission, values <= cuts[1], values <= cuts[2], values > cuts[2]]
    labels = np.select(conditions, DAS28_CATEGORIES, default="")
    result = np.where(np.isnan(values), None, labels).astype(object)
    if isinstance(score, pd.Series):
        dtype = pd.CategoricalDtype(DAS28_CATEGORIES, ordered=True)
        return pd.Series(result, index=score.index, dtype=dtype, name=score.name)
    if np.ndim(score) == 0:
        return np.nan if result.item() is None else str(result.item())
    return result


def das28_category(score: Any) -> Any:
    """DAS28 disease-activity state (for DAS28-ESR and DAS28-CRP).

    remission < 2.6; low 2.6 to <= 3.2; moderate > 3.2 to <= 5.1; high > 5.1. Missing -> missing.

    References
    ----------
    das-score.nl; Fransen et al., Ann Rheum Dis 2004 (remission < 2.6).
    """
    return categorize(score, DAS28_CUTS, strict_remission=True)


def cdai_category(score: Any) -> Any:
    """CDAI state: remission <= 2.8; low > 2.8 to <= 10; moderate > 10 to <= 22; high > 22.

    References
    ----------
    Aletaha & Smolen, Clin Exp Rheumatol 2005;23(5 Suppl 39):S100-S108.
    """
    return categorize(score, CDAI_CUTS, strict_remission=False)


def sdai_category(score: Any) -> Any:
    """SDAI state: remission <= 3.3; low > 3.3 to <= 11; moderate > 11 to <= 26; high > 26.

    References
    ----------
    Aletaha & Smolen, Clin Exp Rheumatol 2005;23(5 Suppl 39):S100-S108.
    """
    return categorize(score, SDAI_CUTS, strict_remission=False)


def wrap_bool(flags: np.ndarray, missing: np.ndarray, like: Any, name: str | None = None) -> Any:
    """Return boolean `flags` with `missing` set to pd.NA, in the shape of `like` (a Series
    named `name`: the column names of the analysis table are :mod:`ldil2.derive.analysis`'s).

    Series -> nullable "boolean" Series; array -> object ndarray of True/False/pd.NA;
    scalar -> bool or pd.NA.
    """
    result = np.where(missing, pd.NA, flags.astype(bool)).astype(object)
    if isinstance(like, pd.Series):
        return pd.Series(pd.array(result, dtype="boolean"), index=like.index, name=name)
    if like is None:
        value = result.reshape(-1)[0]
        return value if value is pd.NA else bool(value)
    return result.reshape(like)


def boolean_remission(
    tjc28: Any, sjc28: Any, crp_mg_l: Any, ptga_mm: Any, version: int = 2011
) -> Any:
    """ACR/EULAR Boolean remission.

    Parameters
    ----------
    tjc28, sjc28 : joint counts, 0-28
    crp_mg_l : CRP in mg/L, >= 0 (the rule is CRP <= 1 mg/dL = 10 mg/L)
    ptga_mm : patient global, VAS 0-100 mm (the rule is on the 0-10 cm scale)
    version : 2011 (PtGA <= 1 cm) or 2022 (PtGA <= 2 cm)

    Returns
    -------
    bool (pd.NA if missing), object ndarray, or nullable boolean Series : True when
    TJC28 <= 1 and SJC28 <= 1 and CRP_mg_dL <= 1 and PtGA_cm <= 1 (2011) or <= 2 (2022);
    missing where any input is missing.

    Raises
    ------
    ValueError : names the argument (including `version`), value and rule

    References
    ----------
    Felson et al., Arthritis Rheum 2011;63:573-586 (2011); Studenic et al., Ann Rheum Dis
    2023;82:74-80 (2022 revision).
    """
    ptga_limit_cm = {2011: 1.0, 2022: 2.0}
    if version not in ptga_limit_cm:
        raise ValueError(f"version: {version} violates one of 2011, 2022")
    like, (t, s, crp, ptga) = _inputs(
        tjc28=(tjc28, _JOINTS28), sjc28=(sjc28, _JOINTS28), crp_mg_l=(crp_mg_l, _CRP),
        ptga_mm=(ptga_mm, _VAS),
    )  # fmt: skip
    missing = np.isnan(t) | np.isnan(s) | np.isnan(crp) | np.isnan(ptga)
    flags = (t <= 1) & (s <= 1) & (crp / 10 <= 1) & (ptga / 10 <= ptga_limit_cm[version])
    return wrap_bool(flags, missing, like)
