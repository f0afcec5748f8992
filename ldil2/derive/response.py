"""Response criteria relative to baseline: ACR20/50/70 and EULAR (DAS28-based).

Definitions: ../shared/reference/ra-indices.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ldil2 import contract as c
from ldil2.derive.indices import as_float_array, template

JOINT_SETS: dict[str, tuple[str, str]] = {"68/66": (c.TJC68, c.SJC66), "28": (c.TJC28, c.SJC28)}
"""ACR joint-count choices: parameter value -> (tender count column, swollen count column)."""

ACR_LEVELS: tuple[int, ...] = (20, 50, 70)
ACR_CORE_OTHER: tuple[str, ...] = (c.PAIN, c.PTGA, c.PHGA, c.HAQ)
"""The core-set measures besides the joint counts and the acute-phase reactant."""

EULAR_CATEGORIES: tuple[str, ...] = ("none", "moderate", "good")

# "improved by exactly L%" must count as improved although (b - v) / b is rounded in binary
_TOLERANCE = 1e-9


def improved(baseline: pd.Series, visit: pd.Series, level: int) -> pd.Series:
    """Whether a measure improved by at least `level` percent: (baseline - visit)/baseline >= L/100.

    A zero baseline cannot improve by a percentage and counts as not improved; a missing baseline
    or visit value also counts as not improved (the ACR rule for core-set measures other than the
    joint counts). Returns a plain boolean Series on the visit's index.
    """
    base = as_float_array(baseline, "baseline")
    now = as_float_array(visit, "visit")
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = (base - now) / base
    ok = (base > 0) & ~np.isnan(now) & (fraction >= level / 100 - _TOLERANCE)
    return pd.Series(ok, index=visit.index)


def acr_response(
    baseline: pd.DataFrame, visit: pd.DataFrame, level: int = 20, joints: str = "68/66"
) -> pd.Series:
    """ACR20/50/70 response at a visit relative to baseline.

    Parameters
    ----------
    baseline, visit : frames with the contract's assessment columns, aligned on the same index
        (one row per subject-visit; `baseline` holds that subject's week-0 values)
    level : 20, 50 or 70 (percent improvement required)
    joints : "68/66" (TJC68/SJC66, the usual trial choice) or "28" (TJC28/SJC28)

    Returns
    -------
    Series (nullable boolean, the visit's index) : True when ALL of
    - the tender joint count improved by >= L%,
    - the swollen joint count improved by >= L%,
    - >= L% improvement in at least 3 of the 5 other core-set measures: pain_mm, ptga_mm,
      phga_mm, haq_di and the acute-phase reactant (CRP; ESR when CRP is missing at baseline
      or at the visit).

    Rules: improvement = (baseline - visit)/baseline, compared with a 1e-9 tolerance so that
    exactly L% counts. A measure whose baseline is 0 counts as not improved. A missing core-set
    measure (other than the joint counts) counts as not improved. A missing tender or swollen
    count at baseline or at the visit makes the response missing (<NA>).

    Raises
    ------
    ValueError : unknown `level` or `joints`, missing columns, or frames not on the same index

    References
    ----------
    Felson et al., Arthritis Rheum 1995;38:727-735; core set: Felson et al., Arthritis Rheum
    1993;36:729-740.
    """
    if level not in ACR_LEVELS:
        raise ValueError(f"level: {level} violates one of {ACR_LEVELS}")
    if joints not in JOINT_SETS:
        raise ValueError(f"joints: {joints!r} violates one of {tuple(JOINT_SETS)}")
    needed = (*JOINT_SETS[joints], *ACR_CORE_OTHER, c.CRP, c.ESR)
    for name, frame in (("baseline", baseline), ("visit", visit)):
        missing = [col for col in needed if col not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing columns {missing}")
    if not baseline.index.equals(visit.index):
        raise ValueError("baseline and visit must be aligned on the same index")
    tender, swollen = JOINT_SETS[joints]
    counts_ok = improved(baseline[tender], visit[tender], level) & improved(
        baseline[swollen], visit[swollen], level
    )
    crp_present = baseline[c.CRP].notna() & visit[c.CRP].notna()
    reactant = improved(baseline[c.CRP], visit[c.CRP], level).where(
        crp_present, improved(baseline[c.ESR], visit[c.ESR], level)
    )
    others = sum(improved(baseline[m], visit[m], level).astype(int) for m in ACR_CORE_OTHER)
    response = counts_ok & (others + reactant.astype(int) >= 3)
    counts_missing = (
        baseline[tender].isna() | visit[tender].isna() | baseline[swollen].isna()
    ) | visit[swollen].isna()
    result = pd.Series(response, dtype="boolean")
    result[counts_missing.to_numpy()] = pd.NA
    return result


def eular_response(das28_baseline: Any, das28_visit: Any) -> Any:
    """EULAR response from DAS28 at the visit and its improvement from baseline.

    Parameters
    ----------
    das28_baseline, das28_visit : DAS28 (ESR or CRP, the same one for both)

    Returns
    -------
    str ("good" / "moderate" / "none"; NaN if missing) for scalars, an object ndarray (None if
    missing) for arrays, an ordered categorical Series (none < moderate < good) for Series.

    Notes
    -----
    improvement = baseline - visit, rounded to 9 decimals so that an improvement of exactly
    1.2 or 0.6 is not pushed across the cut-off by binary rounding.

    ================  =================  ====================  ==============
    DAS28 at visit    improvement > 1.2  > 0.6 to <= 1.2       <= 0.6
    ================  =================  ====================  ==============
    <= 3.2            good               moderate              none
    > 3.2 to <= 5.1   moderate           moderate              none
    > 5.1             moderate           none                  none
    ================  =================  ====================  ==============

    References
    ----------
    van Gestel et al., Arthritis Rheum 1996;39:34-40.
    """
    like = template(das28_baseline, das28_visit)
    base, now = np.broadcast_arrays(
        as_float_array(das28_baseline, "das28_baseline"), as_float_array(das28_visit, "das28_visit")
    )
    gain = np.round(base - now, 9)
    large, some = gain > 1.2, gain > 0.6
    good = (now <= 3.2) & large
    moderate = ~good & (((now <= 5.1) & some) | ((now > 5.1) & large))
    labels = np.select([good, moderate], ["good", "moderate"], default="none").astype(object)
    labels[np.isnan(base) | np.isnan(now)] = None
    if isinstance(like, pd.Series):
        dtype = pd.CategoricalDtype(EULAR_CATEGORIES, ordered=True)
        return pd.Series(labels, index=like.index, dtype=dtype)
    if like is None:
        value = labels.reshape(-1)[0]
        return np.nan if value is None else str(value)
    return labels.reshape(like)
