"""Means by visit (t intervals) and the ANCOVA of the change from baseline at one visit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from ldil2 import contract as c
from ldil2.derive.populations import subjects_per_arm
from ldil2.stats.longitudinal import BASE_CDAI, CHG_CDAI, design, longitudinal_frame


def mean_by_visit(table: pd.DataFrame, column: str, include_baseline: bool = False) -> pd.DataFrame:
    """Mean of `column` with its 95% t-interval by arm and post-baseline week (and week 0 when
    `include_baseline`, for measured values rather than changes).

    Returns
    -------
    DataFrame : arm, week, n (non-missing values), mean, sd, ci_low, ci_high, where the interval
        is mean -/+ t(0.975, n - 1) * sd / sqrt(n) (NaN when n < 2); missing values left out.
    """
    first = c.BASELINE_WEEK if include_baseline else c.BASELINE_WEEK + 1
    data = table[table[c.WEEK] >= first].dropna(subset=[column])
    grouped = data.groupby([c.ARM, c.WEEK])[column].agg(["count", "mean", "std"]).reset_index()
    grouped = grouped.rename(columns={"count": "n", "std": "sd"})
    n = grouped["n"].to_numpy(dtype=float)
    enough = n >= 2
    half = np.full(len(n), np.nan)
    half[enough] = sps.t.ppf(0.975, n[enough] - 1) * grouped["sd"].to_numpy()[enough]
    half[enough] /= np.sqrt(n[enough])
    grouped["ci_low"] = grouped["mean"] - half
    grouped["ci_high"] = grouped["mean"] + half
    grouped[c.WEEK] = grouped[c.WEEK].astype(int)
    return grouped


@dataclass(frozen=True)
class AncovaResult:
    """Baseline-adjusted difference in mean change (Ld-IL2 minus placebo) at one visit: the arm
    coefficient of the ANCOVA (:func:`ancova`), its 95% t-interval and two-sided t-test p, the
    subjects per arm in the fit and the method in plain language (`description`)."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    week: int
    n_subjects: dict[str, int]
    description: str


def ancova(
    table: pd.DataFrame,
    outcome: str = CHG_CDAI,
    baseline: str = BASE_CDAI,
    week: int = c.LAST_WEEK,
) -> AncovaResult:
    """ANCOVA of change from baseline at one visit: OLS `outcome ~ arm + baseline`.

    Parameters
    ----------
    table : analysis table already restricted to the population
    outcome, baseline : change and baseline columns; rows missing either are left out
    week : the visit

    Returns
    -------
    AncovaResult : arm coefficient (Ld-IL2 minus placebo), its 95% t-interval and t-test p.

    References
    ----------
    Vickers & Altman, BMJ 2001;323:1123-1124 (ANCOVA for change from baseline).
    """
    data, _ = longitudinal_frame(table, [outcome, baseline], (week,))
    x = design(data, (week,), interaction=False, covariate=baseline)
    fit = sm.OLS(data[outcome].astype(float), x).fit()
    low, high = fit.conf_int().loc["treat"]
    description = (
        f"ANCOVA at week {week}: linear regression of the change from baseline on arm and the "
        "baseline value; t-based 95% CI and P value; participants without a value at week "
        f"{week} are left out."
    )
    return AncovaResult(
        estimate=float(fit.params["treat"]),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(fit.pvalues["treat"]),
        week=int(week),
        n_subjects=subjects_per_arm(data),
        description=description,
    )
