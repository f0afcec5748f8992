"""Proportions at one visit: Wilson intervals, Newcombe differences, Woolf odds ratios,
Fisher's exact test, and the by-arm comparison of a binary endpoint.

Every result is a small frozen dataclass of numbers with a plain-language `.description` of the
method (for footnotes); its text is written by :mod:`ldil2.present.format` from ARD rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from ldil2 import contract as c
from ldil2.derive.analysis import make_analysis_table
from ldil2.derive.populations import impute_nri, select_population, subjects_per_arm

Z95 = float(sps.norm.ppf(0.975))


def _check_counts(count: int, total: int, name: str = "count") -> None:
    """Raise ValueError naming `name` unless 0 <= count <= total and total >= 1."""
    if total < 1:
        raise ValueError(f"total: {total} violates > 0")
    if not 0 <= count <= total:
        raise ValueError(f"{name}: {count} violates 0 <= {name} <= total ({total})")


@dataclass(frozen=True)
class Proportion:
    """A proportion count/total with its 95% Wilson score CI (as fractions 0-1)."""

    count: int
    total: int
    estimate: float
    ci_low: float
    ci_high: float


def wilson_ci(count: int, total: int, z: float = Z95) -> Proportion:
    """Proportion with the Wilson score interval.

    Notes
    -----
    p = x/n; centre = (x + z^2/2)/(n + z^2); half-width = z*sqrt(n*p*(1-p) + z^2/4)/(n + z^2);
    the lower limit is exactly 0 when x = 0 and the upper limit exactly 1 when x = n.

    Raises
    ------
    ValueError : total < 1 or count outside 0..total

    References
    ----------
    Wilson, J Am Stat Assoc 1927;22:209-212; Newcombe, Stat Med 1998;17:857-872 (method 3).
    """
    _check_counts(count, total)
    p = count / total
    centre = (count + z**2 / 2) / (total + z**2)
    half = z * np.sqrt(total * p * (1 - p) + z**2 / 4) / (total + z**2)
    # the limits are exactly 0 at x = 0 and 1 at x = n; do not let rounding move them
    low = 0.0 if count == 0 else float(centre - half)
    high = 1.0 if count == total else float(centre + half)
    return Proportion(int(count), int(total), p, low, high)


@dataclass(frozen=True)
class Difference:
    """A difference of two proportions (first minus second) with its 95% CI (fractions)."""

    estimate: float
    ci_low: float
    ci_high: float
    description: str


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Difference:
    """Difference p1 - p2 of independent proportions with the Newcombe hybrid score CI.

    Notes
    -----
    With Wilson limits (l1, u1) for p1 and (l2, u2) for p2 (see wilson_ci), d = p1 - p2:
    lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2); upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).

    References
    ----------
    Newcombe, Stat Med 1998;17:873-890, method 10.
    """
    a, b = wilson_ci(x1, n1, z), wilson_ci(x2, n2, z)
    d = a.estimate - b.estimate
    low = d - np.sqrt((a.estimate - a.ci_low) ** 2 + (b.ci_high - b.estimate) ** 2)
    high = d + np.sqrt((a.ci_high - a.estimate) ** 2 + (b.estimate - b.ci_low) ** 2)
    return Difference(
        float(d), float(low), float(high), "Newcombe hybrid score interval (method 10)"
    )


@dataclass(frozen=True)
class ExactTest:
    """A hypothesis test: p-value, test statistic and the test in plain language."""

    statistic: float
    p_value: float
    description: str


def fisher_exact(x1: int, n1: int, x2: int, n2: int) -> ExactTest:
    """Two-sided Fisher's exact test of the 2x2 table [[x1, n1 - x1], [x2, n2 - x2]]
    (scipy.stats.fisher_exact); statistic = the sample odds ratio."""
    _check_counts(x1, n1, "x1")
    _check_counts(x2, n2, "x2")
    result = sps.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])
    return ExactTest(float(result.statistic), float(result.pvalue), "two-sided Fisher's exact test")


@dataclass(frozen=True)
class OddsRatio:
    """Odds ratio (first vs second group) with its 95% CI; NaN values when not estimable."""

    estimate: float
    ci_low: float
    ci_high: float
    estimable: bool
    description: str


WOOLF = "Woolf logit interval"
NOT_ESTIMABLE_OR = (
    "Woolf logit interval; not estimable when a cell is 0 (an arm with no responders or only "
    "responders): no continuity correction is added, Fisher's exact test still applies"
)
"""The interval's description of an odds ratio that is not estimable (a 0 cell)."""


def odds_ratio(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> OddsRatio:
    """Odds ratio with the Woolf (logit) 95% CI, or not estimable when a cell is 0.

    Notes
    -----
    Cells a = x1, b = n1 - x1, c = x2, d = n2 - x2; OR = ad/(bc);
    SE(ln OR) = sqrt(1/a + 1/b + 1/c + 1/d); CI = exp(ln OR -/+ z*SE). When any cell is 0 the
    sample odds ratio is 0 or infinite and has no Woolf interval: estimate and limits are NaN
    and `estimable` is False. No Haldane-Anscombe 0.5 is added: the corrected ratio depends on
    the arbitrary 0.5 and is not data.

    References
    ----------
    Woolf, Ann Hum Genet 1955;19:251-253; Agresti, Categorical Data Analysis, 3rd ed. 2013,
    section 3.1 (zero cells).
    """
    _check_counts(x1, n1, "x1")
    _check_counts(x2, n2, "x2")
    cells = np.array([x1, n1 - x1, x2, n2 - x2], dtype=float)
    if (cells == 0).any():
        return OddsRatio(np.nan, np.nan, np.nan, False, NOT_ESTIMABLE_OR)
    a, b, c_, d = cells
    log_or = np.log(a * d / (b * c_))
    se = np.sqrt((1 / cells).sum())
    return OddsRatio(
        float(np.exp(log_or)),
        float(np.exp(log_or - z * se)),
        float(np.exp(log_or + z * se)),
        True,
        WOOLF,
    )


IMPUTATIONS: dict[str, str] = {
    "none": "observed cases: participants without a value at the visit are left out",
    "nri": (
        "non-responder imputation: participants without a value at the visit (withdrawn or "
        "missing) count as non-responders"
    ),
}


@dataclass(frozen=True)
class BinaryComparison:
    """A binary endpoint at one visit in one population: Ld-IL2 vs placebo.

    Attributes
    ----------
    endpoint, week, population, imputation : what was compared and how missing values were
        handled (see IMPUTATIONS)
    arms : arm code -> Proportion (n/N with Wilson 95% CI), in contract.ARMS order
    difference : Ld-IL2 minus placebo with the Newcombe hybrid score 95% CI
    odds_ratio : Ld-IL2 vs placebo, Woolf CI (not estimable, NaN, if a cell is 0)
    fisher : two-sided Fisher's exact test
    n_population : arm code -> participants in the population (the caption's n per arm)
    """

    endpoint: str
    week: int
    population: str
    imputation: str
    arms: dict[str, Proportion]
    difference: Difference
    odds_ratio: OddsRatio
    fisher: ExactTest
    n_population: dict[str, int]

    @property
    def p_value(self) -> float:
        """Fisher's exact two-sided p-value."""
        return self.fisher.p_value

    def percent(self, arm: str) -> float:
        """Percentage of responders in one arm (0-100)."""
        return 100 * self.arms[arm].estimate

    @property
    def description(self) -> str:
        """Methods in plain language, for a footnote."""
        return (
            "Percentages with Wilson score 95% CIs; difference (Ld-IL2 + MTX minus placebo + "
            f"MTX) with the {self.difference.description}; odds ratio with the "
            f"{self.odds_ratio.description}; {self.fisher.description}. Missing data: "
            f"{IMPUTATIONS[self.imputation]}."
        )


def response_by_arm(
    table: Any,
    endpoint: str,
    week: int,
    population: str = c.PER_PROTOCOL,
    imputation: str = "none",
) -> BinaryComparison:
    """Compare a binary endpoint between arms at one visit.

    Parameters
    ----------
    table : the analysis table (ldil2.derive.analysis.make_analysis_table) or a Release (the
        table is then derived with the default ACR joint set)
    endpoint : a nullable boolean column, e.g. "acr20"
    week : the visit
    population : one of contract.POPULATIONS
    imputation : "none" (observed cases) or "nri" (non-responder imputation)

    Raises
    ------
    ValueError : unknown imputation or population, or an arm with no participant at the visit
    """
    if imputation not in IMPUTATIONS:
        raise ValueError(f"imputation: {imputation!r} violates one of {tuple(IMPUTATIONS)}")
    if hasattr(table, "subjects"):
        table = make_analysis_table(table)
    data = select_population(table, population)
    n_population = subjects_per_arm(data)
    if imputation == "nri":
        data = impute_nri(data, endpoint, weeks=(week,))
    data = data[(data[c.WEEK] == week) & data[endpoint].notna()]
    counts = {}
    for arm in c.ARMS:
        values = data.loc[data[c.ARM] == arm, endpoint].astype(bool)
        if values.empty:
            raise ValueError(f"week: no {endpoint} value in arm {arm!r} at week {week}")
        counts[arm] = (int(values.sum()), len(values))
    (x1, n1), (x2, n2) = counts[c.ARM_LDIL2], counts[c.ARM_PLACEBO]
    return BinaryComparison(
        endpoint=endpoint,
        week=int(week),
        population=population,
        imputation=imputation,
        arms={arm: wilson_ci(*counts[arm]) for arm in c.ARMS},
        difference=newcombe_difference(x1, n1, x2, n2),
        odds_ratio=odds_ratio(x1, n1, x2, n2),
        fisher=fisher_exact(x1, n1, x2, n2),
        n_population=n_population,
    )
