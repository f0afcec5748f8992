"""Treatment effects within baseline subgroups, with the test of the arm-by-subgroup interaction.

For a binary response: the risk difference (Newcombe) within each level and a logistic
regression ``response ~ arm + level + arm:level`` whose interaction term is tested (Wald z).
For a change from baseline: the ANCOVA difference (:func:`ldil2.stats.means.ancova`) within each
level and a linear regression ``change ~ arm + level + arm:level + baseline`` whose interaction
term is tested (t). With subgroups of a few participants these are exploratory: an estimate
that cannot be formed (an empty arm, or a response seen in all or none of a cell) is NaN, "not
estimable", never a corrected number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ldil2 import contract as c
from ldil2.derive.subgroups import SUBGROUPS
from ldil2.stats.means import ancova
from ldil2.stats.proportions import newcombe_difference

NAN = math.nan
ANCOVA_PARAMETERS = 3  # intercept, arm, baseline: a fit needs more rows for a residual df
INTERACTION_PARAMETERS = 5  # intercept, arm, level, arm x level, baseline


@dataclass(frozen=True)
class SubgroupLevel:
    """The effect within one level of a subgroup.

    Attributes
    ----------
    level : the level code (e.g. ``F``, ``True``, ``high``)
    counts : arm -> (responders or NaN for a change, participants with a value)
    means : arm -> mean change (empty for a binary response)
    estimate, ci_low, ci_high : Ld-IL2 minus placebo (risk difference as a fraction 0-1, or the
        ANCOVA difference in index points); NaN when not estimable
    """

    level: str
    counts: dict[str, tuple[float, int]]
    means: dict[str, float]
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class SubgroupEffect:
    """The levels of one subgroup and the two-sided P of the arm-by-subgroup interaction (NaN
    when not estimable)."""

    subgroup: str
    levels: tuple[SubgroupLevel, ...]
    interaction_p: float


def _treat(data: pd.DataFrame) -> np.ndarray:
    return (data[c.ARM] == c.ARM_LDIL2).to_numpy(dtype=float)


def interaction_design(data: pd.DataFrame, subgroup: str, covariate: str | None) -> pd.DataFrame:
    """Design matrix: intercept, treat (1 = Ld-IL2), level (1 = the subgroup's second level),
    treat x level, and the covariate when given."""
    second = list(SUBGROUPS[subgroup].levels)[1]
    treat, level = _treat(data), (data[subgroup] == second).to_numpy(dtype=float)
    columns = {"const": np.ones(len(data)), "treat": treat, "level": level}
    columns["treat:level"] = treat * level
    if covariate is not None:
        columns[covariate] = data[covariate].to_numpy(dtype=float)
    return pd.DataFrame(columns, index=data.index)


def binary_subgroup(data: pd.DataFrame, endpoint: str, subgroup: str) -> SubgroupEffect:
    """Risk difference of `endpoint` within each level of `subgroup` and the interaction P.

    Parameters
    ----------
    data : one row per participant at the visit analysed, with arm, `endpoint` (boolean,
        missing rows left out) and the subgroup column (:func:`ldil2.derive.subgroups.
        derive_subgroups`; rows with a missing level left out)

    Notes
    -----
    The interaction P is the Wald test of the treat x level coefficient of the logistic
    regression; it is not estimable (NaN) when one of the four arm-by-level cells is empty or
    has only responders or only non-responders (the likelihood then has no finite maximum).
    """
    data = data.dropna(subset=[endpoint, subgroup])
    levels = []
    cells_ok = True
    for level in SUBGROUPS[subgroup].levels:
        part = data[data[subgroup] == level]
        counts = {}
        for arm in c.ARMS:
            values = part.loc[part[c.ARM] == arm, endpoint].astype(bool)
            counts[arm] = (float(values.sum()), len(values))
            cells_ok &= 0 < values.sum() < len(values)
        (x1, n1), (x2, n2) = counts[c.ARM_LDIL2], counts[c.ARM_PLACEBO]
        if n1 and n2:
            d = newcombe_difference(int(x1), n1, int(x2), n2)
            effect = (d.estimate, d.ci_low, d.ci_high)
        else:
            effect = (NAN, NAN, NAN)
        levels.append(SubgroupLevel(level, counts, {}, *effect))
    p = NAN
    if cells_ok:
        x = interaction_design(data, subgroup, None)
        fit = sm.GLM(data[endpoint].astype(float), x, family=sm.families.Binomial()).fit()
        p = float(fit.pvalues["treat:level"])
    return SubgroupEffect(subgroup, tuple(levels), p)


def change_subgroup(
    data: pd.DataFrame, outcome: str, baseline: str, subgroup: str, week: int
) -> SubgroupEffect:
    """ANCOVA difference of `outcome` within each level of `subgroup` and the interaction P.

    Parameters
    ----------
    data : analysis rows of one population (every visit), with the subgroup column
    outcome, baseline : the change and its baseline value (e.g. chg_cdai, base_cdai)
    week : the visit analysed

    Notes
    -----
    Within a level: :func:`ldil2.stats.means.ancova` (change ~ arm + baseline), estimable when
    each arm has at least two participants with a value and the fit has a residual degree of
    freedom. The interaction P is the t-test of the treat x level coefficient of
    change ~ arm + level + arm:level + baseline (OLS), estimable when every arm-by-level cell
    has a participant.
    """
    at = data[data[c.WEEK] == week].dropna(subset=[outcome, baseline, subgroup])
    levels = []
    cells_ok = True
    for level in SUBGROUPS[subgroup].levels:
        part = at[at[subgroup] == level]
        counts, means = {}, {}
        for arm in c.ARMS:
            values = part.loc[part[c.ARM] == arm, outcome].astype(float)
            counts[arm] = (NAN, len(values))
            means[arm] = float(values.mean()) if len(values) else NAN
            cells_ok &= len(values) > 0
        effect = (NAN, NAN, NAN)
        if min(n for _, n in counts.values()) >= 2 and len(part) > ANCOVA_PARAMETERS:
            fit = ancova(part, outcome=outcome, baseline=baseline, week=week)
            effect = (fit.estimate, fit.ci_low, fit.ci_high)
        levels.append(SubgroupLevel(level, counts, means, *effect))
    p = NAN
    if cells_ok and len(at) > INTERACTION_PARAMETERS:
        x = interaction_design(at, subgroup, baseline)
        p = float(sm.OLS(at[outcome].astype(float), x).fit().pvalues["treat:level"])
    return SubgroupEffect(subgroup, tuple(levels), p)
