"""Trial statistics: proportions, differences, exact tests and longitudinal models.

Every result is a small frozen dataclass with the numbers, a plain-language `.description` of the
method (for table footnotes) and formatted-text helpers (for glue). The caller selects the
analysis population before calling a model; the models never filter subjects by flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from ldil2 import contract as c
from ldil2.derive import impute_nri, make_analysis_table, select_population

Z95 = float(sps.norm.ppf(0.975))


def format_p(p: float) -> str:
    """'P = 0.014' (3 decimals), 'P < 0.001' below 0.001, 'P = 1.000' rounded; NaN -> 'P = NA'."""
    if not np.isfinite(p):
        return "P = NA"
    return "P < 0.001" if p < 0.001 else f"P = {p:.3f}"


def interval_text(estimate: float, low: float, high: float, digits: int = 1) -> str:
    """'-6.0 (-11.4 to -0.7)': an estimate and its interval at `digits` decimals."""
    return f"{estimate:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


class EffectText:
    """Text helpers of a result with `estimate`, `ci_low`, `ci_high` (95% CI) and `p_value`,
    printed at `digits` decimals."""

    digits: ClassVar[int] = 2
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float

    @property
    def p_text(self) -> str:
        """The p-value as printed, e.g. 'P = 0.014'."""
        return format_p(self.p_value)

    @property
    def estimate_text(self) -> str:
        """e.g. '2.31 (95% CI 1.12 to 4.75)'."""
        d = self.digits
        return f"{self.estimate:.{d}f} (95% CI {self.ci_low:.{d}f} to {self.ci_high:.{d}f})"


@dataclass(frozen=True)
class LongitudinalResult(EffectText):
    """Overall treatment effect across visits from a longitudinal model, with per-visit contrasts.

    Attributes
    ----------
    estimate, ci_low, ci_high : overall effect of Ld-IL2 vs placebo and its 95% CI, on the scale
        named by `measure` (odds ratio for `gee_binary`, difference in mean change for
        `mixed_change`)
    p_value : two-sided Wald test of no overall effect
    measure : name of the effect scale
    per_visit : one row per visit: week, estimate, ci_low, ci_high, p_value (and, for the GEE,
        the model-based risk difference with its delta-method CI, rd_ci_low, rd_ci_high, and
        `estimable`: False, with NaN values, where an arm had no or only responders)
    n_subjects : subjects contributing per arm code
    n_observations : subject-visit rows in the fit
    weeks : visits requested (the description names any visit left out of the fit)
    description : the model in plain language (for a footnote)
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    measure: str
    per_visit: pd.DataFrame = field(repr=False)
    n_subjects: dict[str, int]
    n_observations: int
    weeks: tuple[int, ...]
    description: str


def longitudinal_frame(
    table: pd.DataFrame, columns: list[str], weeks: tuple[int, ...] | None
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """Rows of post-baseline `weeks` (default: every week > baseline present) with all `columns`
    observed, sorted by subject and week, plus the sorted visit tuple actually used.

    Raises ValueError when a needed column is absent, a requested week has no data, or an arm
    has no subject.
    """
    needed = [c.SUBJECT_ID, c.ARM, c.WEEK, *columns]
    absent = [col for col in needed if col not in table.columns]
    if absent:
        raise ValueError(f"table: missing columns {absent}")
    data = table[needed].dropna()
    if weeks is None:
        weeks = tuple(sorted(int(w) for w in data[c.WEEK].unique() if w > c.BASELINE_WEEK))
    weeks = tuple(sorted(int(w) for w in weeks))
    data = data[data[c.WEEK].isin(weeks)]
    empty = [w for w in weeks if not (data[c.WEEK] == w).any()]
    if empty or not weeks:
        raise ValueError(f"weeks: no observed data at {empty or 'any post-baseline week'}")
    for arm in c.ARMS:
        if not (data[c.ARM] == arm).any():
            raise ValueError(f"arm: no subject in arm {arm!r}")
    return data.sort_values([c.SUBJECT_ID, c.WEEK]).reset_index(drop=True), weeks


def design(
    data: pd.DataFrame, weeks: tuple[int, ...], interaction: bool, covariate: str | None = None
) -> pd.DataFrame:
    """Design matrix: intercept, treat (1 = Ld-IL2), week indicators (reference = first week),
    optional treat x week indicators, optional covariate."""
    treat = (data[c.ARM] == c.ARM_LDIL2).astype(float)
    columns = {"const": np.ones(len(data)), "treat": treat}
    week = data[c.WEEK].astype(int)
    for w in weeks[1:]:
        columns[f"week{w}"] = (week == w).astype(float)
    if interaction:
        for w in weeks[1:]:
            columns[f"treat:week{w}"] = treat * (week == w).astype(float)
    if covariate is not None:
        columns[covariate] = data[covariate].astype(float)
    return pd.DataFrame(columns, index=data.index)


def visit_contrast(names: list[str], weeks: tuple[int, ...], week: int) -> np.ndarray:
    """Contrast vector for the Ld-IL2 minus placebo effect at `week` in the interaction model."""
    vector = np.zeros(len(names))
    vector[names.index("treat")] = 1.0
    if week != weeks[0]:
        vector[names.index(f"treat:week{week}")] = 1.0
    return vector


def wald(vector: np.ndarray, params: np.ndarray, cov: np.ndarray) -> tuple[float, float, float]:
    """Estimate, standard error and two-sided normal p-value of the linear contrast."""
    estimate = float(vector @ params)
    se = float(np.sqrt(vector @ cov @ vector))
    return estimate, se, float(2 * sps.norm.sf(abs(estimate / se)))


def subjects_per_arm(data: pd.DataFrame) -> dict[str, int]:
    """Number of distinct subjects per arm code (ARMS order)."""
    counts = data.groupby(c.ARM)[c.SUBJECT_ID].nunique()
    return {arm: int(counts.get(arm, 0)) for arm in c.ARMS}


def _fit_gee(y: pd.Series, x: pd.DataFrame, groups: pd.Series) -> Any:
    model = sm.GEE(
        y, x, groups=groups, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable()
    )
    return model.fit(cov_type="robust")


def gee_binary(
    table: pd.DataFrame, outcome: str = "acr20", weeks: tuple[int, ...] | None = None
) -> LongitudinalResult:
    """Binary response across visits: logistic GEE, exchangeable correlation, robust SE.

    Parameters
    ----------
    table : analysis table (one row per subject-visit) already restricted to the population,
        with subject_id, arm, week and the 0/1 (or boolean) `outcome`
    outcome : response column, e.g. "acr20"
    weeks : post-baseline visits to model; default every post-baseline week observed.
        Rows with a missing outcome are left out (observed-case analysis; impute first for NRI).

    Returns
    -------
    LongitudinalResult : overall odds ratio (Ld-IL2 vs placebo) = exp(arm coefficient) in the
    main-effects model logit P(y) = b0 + b1*arm + week effects; per-visit odds ratios from the
    model with arm x week interaction, and model-based risk differences (delta-method CI).

    Notes
    -----
    statsmodels GEE, Binomial family with logit link, exchangeable working correlation within
    subject, sandwich (robust) covariance; Wald z tests and CIs.

    References
    ----------
    Liang & Zeger, Biometrika 1986;73:13-22.
    """
    data, weeks = longitudinal_frame(table, [outcome], weeks)
    data = data.assign(**{outcome: data[outcome].astype(float)})
    main_weeks = varying_weeks(data, outcome, weeks, within_arms=False)
    visit_weeks = varying_weeks(data, outcome, weeks, within_arms=True)
    used = data[data[c.WEEK].isin(main_weeks)]
    description = _gee_description(outcome, weeks, main_weeks, visit_weeks)
    arms_vary = used.groupby(c.ARM)[outcome].nunique().reindex(list(c.ARMS), fill_value=0)
    if (arms_vary < 2).any():  # an arm with no responders (or only responders): OR infinite
        log_or = se = p = np.nan
        description += (
            " The across-visit odds ratio is not estimable: an arm has no responders or only"
            " responders."
        )
    else:
        main = _fit_gee(
            used[outcome], design(used, main_weeks, interaction=False), used[c.SUBJECT_ID]
        )
        names = list(main.params.index)
        unit = np.eye(len(names))[names.index("treat")]
        log_or, se, p = wald(unit, main.params.to_numpy(), main.cov_params().to_numpy())
    rows = {w: {c.WEEK: w, "estimable": False} for w in weeks}
    if visit_weeks:
        part = data[data[c.WEEK].isin(visit_weeks)]
        full_x = design(part, visit_weeks, interaction=True)
        full = _fit_gee(part[outcome], full_x, part[c.SUBJECT_ID])
        for w in visit_weeks:
            rows[w] = _gee_visit(full, list(full_x.columns), visit_weeks, w)
    columns = [c.WEEK, "estimate", "ci_low", "ci_high", "p_value", "risk_difference"]
    per_visit = pd.DataFrame(list(rows.values())).reindex(
        columns=[*columns, "rd_ci_low", "rd_ci_high", "estimable"]
    )
    return LongitudinalResult(
        estimate=float(np.exp(log_or)),
        ci_low=float(np.exp(log_or - Z95 * se)),
        ci_high=float(np.exp(log_or + Z95 * se)),
        p_value=float(p),
        measure="odds ratio",
        per_visit=per_visit,
        n_subjects=subjects_per_arm(used),
        n_observations=len(used),
        weeks=weeks,
        description=description,
    )


def varying_weeks(
    data: pd.DataFrame, outcome: str, weeks: tuple[int, ...], within_arms: bool
) -> tuple[int, ...]:
    """Weeks at which the binary `outcome` takes both values: over all rows, or in each arm
    separately (`within_arms`). Elsewhere a logistic model's week (or arm-by-week) effect is
    infinite and the week carries no information on it."""
    keys = [c.WEEK, c.ARM] if within_arms else [c.WEEK]
    varies = data.groupby(keys)[outcome].nunique() > 1
    if within_arms:
        complete = varies.unstack(c.ARM).reindex(columns=list(c.ARMS)).fillna(False)
        varies = complete.all(axis=1)
    return tuple(w for w in weeks if bool(varies.get(w, False)))


def _gee_description(
    outcome: str, weeks: tuple[int, ...], main_weeks: tuple[int, ...], visit_weeks: tuple[int, ...]
) -> str:
    def listed(values: tuple[int, ...]) -> str:
        return ", ".join(map(str, values))

    text = (
        f"Logistic GEE (generalised estimating equations) for {outcome} over weeks "
        f"{listed(weeks)}: arm and visit as factors, exchangeable working correlation within "
        "participant, robust (sandwich) standard errors; the across-visit effect is the arm odds "
        "ratio of the model without arm-by-visit interaction; per-visit odds ratios come from "
        "the model with the interaction. Visits with a missing response are left out."
    )
    dropped = tuple(w for w in weeks if w not in main_weeks)
    if dropped:
        text += (
            f" {'Weeks' if len(dropped) > 1 else 'Week'} {listed(dropped)} "
            f"{'are' if len(dropped) > 1 else 'is'} left out of the across-visit model: every "
            "participant had the same response there, which carries no information on the arm "
            "effect."
        )
    unestimable = tuple(w for w in weeks if w not in visit_weeks)
    if unestimable:
        text += (
            f" Per-visit odds ratios are not estimable at weeks {listed(unestimable)}, where an"
            " arm had no responders or only responders."
        )
    return text


def _gee_visit(fit: Any, names: list[str], weeks: tuple[int, ...], week: int) -> dict[str, float]:
    """Per-visit odds ratio (Wald) and risk difference (delta method) from the interaction GEE."""
    params, cov = fit.params.to_numpy(), fit.cov_params().to_numpy()
    vector = visit_contrast(names, weeks, week)
    log_or, se, p = wald(vector, params, cov)
    placebo_x = np.zeros(len(names))
    placebo_x[names.index("const")] = 1.0
    if week != weeks[0]:
        placebo_x[names.index(f"week{week}")] = 1.0
    active_x = placebo_x + vector
    p1, p0 = (float(1 / (1 + np.exp(-(x @ params)))) for x in (active_x, placebo_x))
    gradient = p1 * (1 - p1) * active_x - p0 * (1 - p0) * placebo_x
    rd_se = float(np.sqrt(gradient @ cov @ gradient))
    return {
        c.WEEK: week,
        "estimable": True,
        "estimate": float(np.exp(log_or)),
        "ci_low": float(np.exp(log_or - Z95 * se)),
        "ci_high": float(np.exp(log_or + Z95 * se)),
        "p_value": p,
        "risk_difference": p1 - p0,
        "rd_ci_low": p1 - p0 - Z95 * rd_se,
        "rd_ci_high": p1 - p0 + Z95 * rd_se,
    }


def mixed_change(
    table: pd.DataFrame,
    outcome: str = "chg_cdai",
    baseline: str = "base_cdai",
    weeks: tuple[int, ...] | None = None,
) -> LongitudinalResult:
    """Change from baseline across visits: linear mixed model with a random intercept (REML).

    Parameters
    ----------
    table : analysis table already restricted to the population, with subject_id, arm, week,
        `outcome` (change from baseline) and `baseline` (the baseline value, a covariate)
    outcome, baseline : column names
    weeks : post-baseline visits; default every post-baseline week observed. Rows with a
        missing change or baseline are left out (likelihood-based, valid under MAR).

    Returns
    -------
    LongitudinalResult : overall effect = the Ld-IL2 minus placebo difference in mean change
    averaged over the visits (equal weights), a linear contrast of the fixed effects with a
    Wald z test; per-visit differences with 95% CIs.

    Notes
    -----
    change = arm + week + arm x week + baseline + u_subject + e, u ~ N(0, s2_u), e ~ N(0, s2);
    statsmodels MixedLM fitted by REML; weeks as factors.

    References
    ----------
    Laird & Ware, Biometrics 1982;38:963-974.
    """
    data, weeks = longitudinal_frame(table, [outcome, baseline], weeks)
    x = design(data, weeks, interaction=True, covariate=baseline)
    fit = sm.MixedLM(data[outcome].astype(float), x, groups=data[c.SUBJECT_ID]).fit(reml=True)
    names = list(x.columns)
    params = fit.fe_params.to_numpy()
    cov = fit.cov_params().to_numpy()[: len(names), : len(names)]
    vectors = {w: visit_contrast(names, weeks, w) for w in weeks}
    rows = []
    for w, vector in vectors.items():
        est, se, p = wald(vector, params, cov)
        ci = {"ci_low": est - Z95 * se, "ci_high": est + Z95 * se}
        rows.append({c.WEEK: w, "estimate": est, **ci, "p_value": p})
    est, se, p = wald(np.mean(list(vectors.values()), axis=0), params, cov)
    description = (
        f"Linear mixed model for {outcome} (change from baseline) over weeks "
        f"{', '.join(map(str, weeks))}: fixed effects arm, visit, arm-by-visit and the baseline "
        f"value ({baseline}); random intercept per participant; REML. The across-visit effect is "
        "the arm difference averaged over the visits (Wald test). Visits with a missing value "
        "are left out (valid if missing at random)."
    )
    return LongitudinalResult(
        estimate=est,
        ci_low=est - Z95 * se,
        ci_high=est + Z95 * se,
        p_value=p,
        measure="difference in mean change",
        per_visit=pd.DataFrame(rows),
        n_subjects=subjects_per_arm(data),
        n_observations=len(data),
        weeks=weeks,
        description=description,
    )


# ---------------------------------------------------------------------------------------------
# Single-visit comparisons of proportions
# ---------------------------------------------------------------------------------------------


def format_count(count: int, total: int) -> str:
    """'12/17 (70.6%)'; '0/0 (NA)' when the total is 0."""
    if total == 0:
        return "0/0 (NA)"
    return f"{count}/{total} ({100 * count / total:.1f}%)"


def _check_counts(count: int, total: int, name: str = "count") -> None:
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

    @property
    def text(self) -> str:
        """e.g. '12/17 (70.6%)'."""
        return format_count(self.count, self.total)

    @property
    def ci_text(self) -> str:
        """e.g. '46.9% to 86.7%'."""
        return f"{100 * self.ci_low:.1f}% to {100 * self.ci_high:.1f}%"


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

    @property
    def text(self) -> str:
        """e.g. '27.1 percentage points (95% CI -2.6 to 50.0)'."""
        return (
            f"{100 * self.estimate:.1f} percentage points "
            f"(95% CI {100 * self.ci_low:.1f} to {100 * self.ci_high:.1f})"
        )


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

    @property
    def p_text(self) -> str:
        """e.g. 'P = 0.116'."""
        return format_p(self.p_value)


def fisher_exact(x1: int, n1: int, x2: int, n2: int) -> ExactTest:
    """Two-sided Fisher's exact test of the 2x2 table [[x1, n1 - x1], [x2, n2 - x2]]
    (scipy.stats.fisher_exact); statistic = the sample odds ratio."""
    _check_counts(x1, n1, "x1")
    _check_counts(x2, n2, "x2")
    result = sps.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])
    return ExactTest(float(result.statistic), float(result.pvalue), "two-sided Fisher's exact test")


@dataclass(frozen=True)
class OddsRatio:
    """Odds ratio (first vs second group) with its 95% CI."""

    estimate: float
    ci_low: float
    ci_high: float
    corrected: bool
    description: str

    @property
    def text(self) -> str:
        """e.g. '3.12 (95% CI 0.83 to 11.79)'."""
        return f"{self.estimate:.2f} (95% CI {self.ci_low:.2f} to {self.ci_high:.2f})"


def odds_ratio(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> OddsRatio:
    """Odds ratio with the Woolf (logit) 95% CI.

    Notes
    -----
    Cells a = x1, b = n1 - x1, c = x2, d = n2 - x2; OR = ad/(bc);
    SE(ln OR) = sqrt(1/a + 1/b + 1/c + 1/d); CI = exp(ln OR -/+ z*SE). When any cell is 0,
    0.5 is added to every cell (Haldane-Anscombe correction) for the estimate and the CI, and
    `corrected` is True (the description says so).

    References
    ----------
    Woolf, Ann Hum Genet 1955;19:251-253; Haldane, Ann Hum Genet 1956;20:309-311.
    """
    _check_counts(x1, n1, "x1")
    _check_counts(x2, n2, "x2")
    cells = np.array([x1, n1 - x1, x2, n2 - x2], dtype=float)
    corrected = bool((cells == 0).any())
    if corrected:
        cells += 0.5
    a, b, c_, d = cells
    log_or = np.log(a * d / (b * c_))
    se = np.sqrt((1 / cells).sum())
    description = "Woolf logit interval" + (
        " with 0.5 added to every cell because one cell is 0 (Haldane correction)"
        if corrected
        else ""
    )
    return OddsRatio(
        float(np.exp(log_or)),
        float(np.exp(log_or - z * se)),
        float(np.exp(log_or + z * se)),
        corrected,
        description,
    )


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


# ---------------------------------------------------------------------------------------------
# ANCOVA at one visit
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AncovaResult(EffectText):
    """Baseline-adjusted difference in mean change (Ld-IL2 minus placebo) at one visit; texts at
    one decimal, e.g. '-4.2 (95% CI -7.9 to -0.5)'."""

    digits: ClassVar[int] = 1
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    week: int
    n_subjects: dict[str, int]
    description: str


def ancova(
    table: pd.DataFrame, outcome: str = "chg_cdai", baseline: str = "base_cdai", week: int = 24
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
        f"ANCOVA at week {week}: linear regression of {outcome} on arm and the baseline value "
        f"({baseline}); t-based 95% CI and p-value; participants without a value at week "
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


# ---------------------------------------------------------------------------------------------
# A binary endpoint at one visit, by arm
# ---------------------------------------------------------------------------------------------

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
    odds_ratio : Ld-IL2 vs placebo, Woolf CI (Haldane-corrected if a cell is 0)
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

    @property
    def p_text(self) -> str:
        """e.g. 'P = 0.116'."""
        return self.fisher.p_text

    @property
    def difference_text(self) -> str:
        """e.g. '27.1 percentage points (95% CI -2.6 to 50.0)'."""
        return self.difference.text

    def text(self, arm: str) -> str:
        """n/N (%) of one arm, e.g. '12/17 (70.6%)'."""
        return self.arms[arm].text

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
    population: str = "per_protocol",
    imputation: str = "none",
) -> BinaryComparison:
    """Compare a binary endpoint between arms at one visit.

    Parameters
    ----------
    table : the analysis table (ldil2.derive.make_analysis_table) or a Release (the table is
        then derived with the default ACR joint set)
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
