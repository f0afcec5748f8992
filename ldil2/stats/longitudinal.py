"""Longitudinal models across visits: the logistic GEE for binary responses and the linear mixed
model for changes from baseline, with per-visit contrasts.

Inference is the small-sample kind a trial of 40 participants needs: the GEE uses the
Mancl-DeRouen bias-reduced sandwich, the mixed model t tests with Satterthwaite degrees of freedom
(as R's lmerTest computes them, :func:`satterthwaite_df`). The large-sample Wald result of each
model (robust sandwich, normal reference) is kept beside it as a sensitivity analysis
(:attr:`LongitudinalResult.wald`).

The caller selects the analysis population first; the models never filter subjects by flags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from ldil2 import contract as c
from ldil2.derive.analysis import ACR20, CDAI, base_col, chg_col
from ldil2.derive.populations import subjects_per_arm
from ldil2.stats.fits import fitted_once
from ldil2.stats.proportions import Z95
from ldil2.stats.reml import RemlVariance, fit_reml, reml_variance, satterthwaite_df

CHG_CDAI, BASE_CDAI = chg_col(CDAI), base_col(CDAI)
"""The default outcome and baseline covariate of the models of a change: CDAI."""


@dataclass(frozen=True)
class Effect:
    """One contrast of a model with its 95% CI and two-sided P value under a stated test.

    Attributes
    ----------
    estimate, ci_low, ci_high : the effect and its 95% CI (on the model's effect scale)
    p_value : two-sided P value
    df : degrees of freedom of the t reference; ``inf`` for the normal (Wald z) reference
    description : the test in one sentence (for a footnote)
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    description: str


@dataclass(frozen=True)
class LongitudinalResult:
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
    description : the model in plain language (for a footnote), naming the estimator of the
        working correlation (GEE) and the degrees-of-freedom method (mixed model)
    df : degrees of freedom of the across-visit test (``inf``: normal reference)
    wald : the across-visit effect of the same fit with large-sample inference (robust sandwich
        without bias reduction for the GEE, model-based Wald z for the mixed model), kept as a
        sensitivity analysis; None when not estimable
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
    df: float = math.inf
    wald: Effect | None = None


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


def t_effect(estimate: float, se: float, df: float, description: str) -> Effect:
    """Effect with the t-based 95% CI, estimate +/- t(0.975, df) * se, and the two-sided P of
    t = estimate / se on `df` degrees of freedom (``df = inf``: the normal, i.e. Wald z)."""
    quantile = float(sps.t.ppf(0.975, df)) if math.isfinite(df) else Z95
    p = (
        float(2 * sps.t.sf(abs(estimate / se), df))
        if math.isfinite(df)
        else float(2 * sps.norm.sf(abs(estimate / se)))
    )
    return Effect(estimate, estimate - quantile * se, estimate + quantile * se, p, df, description)


def _fit_gee(y: pd.Series, x: pd.DataFrame, groups: pd.Series) -> Any:
    """statsmodels GEE (Binomial, logit link, exchangeable working correlation) with the
    Mancl-DeRouen bias-reduced sandwich as ``cov_params()``; the uncorrected robust sandwich
    stays available as ``cov_robust``."""
    model = sm.GEE(
        y, x, groups=groups, family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable()
    )
    return model.fit(cov_type="bias_reduced")


GEE_CORRELATION = (
    "exchangeable working correlation within participant, estimated by the moment estimator of "
    "statsmodels (the sum over pairs of visits of the products of Pearson residuals divided by "
    "the number of pairs minus the number of regression parameters, relative to the Pearson "
    "scale estimate with N minus the number of parameters)"
)
"""How the GEE's working correlation is estimated (named in every footnote: R's geepack divides
by other counts, so its odds ratios differ in the last digits)."""

GEE_SANDWICH = (
    "Mancl-DeRouen bias-reduced sandwich standard errors (for few participants), Wald z tests "
    "and CIs"
)
GEE_WALD = (
    "Sensitivity analysis: the same GEE with the uncorrected robust (Liang-Zeger) sandwich "
    "standard error, Wald z test and CI."
)


def gee_binary(
    table: pd.DataFrame, outcome: str = ACR20, weeks: tuple[int, ...] | None = None
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

    The across-visit Wald result with the uncorrected robust sandwich is ``wald`` (sensitivity).

    Notes
    -----
    statsmodels GEE, Binomial family with logit link, exchangeable working correlation within
    subject (moment estimator, :data:`GEE_CORRELATION`), Mancl-DeRouen bias-reduced sandwich
    covariance, cov = B^-1 [sum_i D_i' V_i^-1 (I - H_ii)^-1 r_i r_i' (I - H_ii')^-1 V_i^-1 D_i]
    B^-1 with B = sum_i D_i' V_i^-1 D_i and H_ii = D_i B^-1 D_i' V_i^-1; Wald z tests and CIs.

    References
    ----------
    Liang & Zeger, Biometrika 1986;73:13-22; Mancl & DeRouen, Biometrics 2001;57:126-134.
    """
    data, weeks = longitudinal_frame(table, [outcome], weeks)
    return fitted_once(
        "gee_binary", data, (outcome, weeks), lambda: _gee_binary(data, outcome, weeks)
    )


def _gee_binary(data: pd.DataFrame, outcome: str, weeks: tuple[int, ...]) -> LongitudinalResult:
    """:func:`gee_binary` of the rows of :func:`longitudinal_frame`."""
    data = data.assign(**{outcome: data[outcome].astype(float)})
    main_weeks = varying_weeks(data, outcome, weeks, within_arms=False)
    visit_weeks = varying_weeks(data, outcome, weeks, within_arms=True)
    used = data[data[c.WEEK].isin(main_weeks)]
    description = _gee_description(weeks, main_weeks, visit_weeks)
    arms_vary = used.groupby(c.ARM)[outcome].nunique().reindex(list(c.ARMS), fill_value=0)
    sensitivity = None
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
        robust = wald(unit, main.params.to_numpy(), np.asarray(main.cov_robust))
        sensitivity = _exp_effect(t_effect(robust[0], robust[1], math.inf, GEE_WALD))
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
        wald=sensitivity,
    )


def _exp_effect(effect: Effect) -> Effect:
    """An effect on the log-odds scale as an odds ratio (estimate and limits exponentiated)."""
    return Effect(
        float(np.exp(effect.estimate)), float(np.exp(effect.ci_low)),
        float(np.exp(effect.ci_high)), effect.p_value, effect.df, effect.description,
    )  # fmt: skip


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
    weeks: tuple[int, ...], main_weeks: tuple[int, ...], visit_weeks: tuple[int, ...]
) -> str:
    def listed(values: tuple[int, ...]) -> str:
        return ", ".join(map(str, values))

    text = (
        "Logistic GEE (generalized estimating equations) of the response over weeks "
        f"{listed(weeks)}: arm and visit as factors; {GEE_CORRELATION}; {GEE_SANDWICH}; the "
        "model-based risk difference at a visit has a delta-method CI; the across-visit effect "
        "is the arm odds "
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


MIXED_DF = (
    "t tests and CIs with Satterthwaite degrees of freedom (from the REML covariance of the "
    "variance components, as R's lmerTest)"
)
MIXED_WALD = "Sensitivity analysis: the same mixed model with the large-sample Wald z test and CI."


def mixed_change(
    table: pd.DataFrame,
    outcome: str = CHG_CDAI,
    baseline: str = BASE_CDAI,
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
    t test on Satterthwaite degrees of freedom (``df``); per-visit differences with t-based 95%
    CIs (column ``df``); ``wald``: the across-visit Wald z result (sensitivity).

    Notes
    -----
    change = arm + week + arm x week + baseline + u_subject + e, u ~ N(0, s2_u), e ~ N(0, s2);
    statsmodels MixedLM fitted by REML (:func:`ldil2.stats.reml.fit_reml`); weeks as factors.
    The t tests use Phi = (X'V^-1 X)^-1 and :func:`satterthwaite_df`; the Wald z uses
    statsmodels' covariance of the fixed effects.

    References
    ----------
    Laird & Ware, Biometrics 1982;38:963-974; Kuznetsova et al., J Stat Softw 2017;82(13).
    """
    data, weeks = longitudinal_frame(table, [outcome, baseline], weeks)
    return fitted_once(
        "mixed_change",
        data,
        (outcome, baseline, weeks),
        lambda: _mixed_change(data, outcome, baseline, weeks),
    )


def _mixed_change(
    data: pd.DataFrame, outcome: str, baseline: str, weeks: tuple[int, ...]
) -> LongitudinalResult:
    """:func:`mixed_change` of the rows of :func:`longitudinal_frame`."""
    x = design(data, weeks, interaction=True, covariate=baseline)
    y = data[outcome].astype(float)
    fit = fit_reml(y, x, data[c.SUBJECT_ID])
    names = list(x.columns)
    params = fit.fe_params.to_numpy()
    parts = reml_variance(
        x.to_numpy(), y.to_numpy(), data[c.SUBJECT_ID].to_numpy(),
        float(np.asarray(fit.cov_re)[0, 0]), float(fit.scale),
    )  # fmt: skip
    vectors = {w: visit_contrast(names, weeks, w) for w in weeks}
    rows = []
    for w, vector in vectors.items():
        effect = _t_contrast(vector, params, parts)
        limits = {"ci_low": effect.ci_low, "ci_high": effect.ci_high}
        rows.append({c.WEEK: w, "estimate": effect.estimate, **limits,
                     "p_value": effect.p_value, "df": effect.df})  # fmt: skip
    average = np.mean(list(vectors.values()), axis=0)
    across = _t_contrast(average, params, parts)
    est, se, _ = wald(average, params, fit.cov_params().to_numpy()[: len(names), : len(names)])
    description = (
        "Linear mixed model of the change from baseline over weeks "
        f"{', '.join(map(str, weeks))}: fixed effects arm, visit, arm-by-visit and the baseline "
        f"value; random intercept per participant; REML; {MIXED_DF}. The "
        "across-visit effect is the arm difference averaged over the visits. Visits with a "
        "missing value are left out (valid if missing at random)."
    )
    return LongitudinalResult(
        estimate=across.estimate,
        ci_low=across.ci_low,
        ci_high=across.ci_high,
        p_value=across.p_value,
        measure="difference in mean change",
        per_visit=pd.DataFrame(rows),
        n_subjects=subjects_per_arm(data),
        n_observations=len(data),
        weeks=weeks,
        description=description,
        df=across.df,
        wald=t_effect(est, se, math.inf, MIXED_WALD),
    )


def _t_contrast(vector: np.ndarray, params: np.ndarray, parts: RemlVariance) -> Effect:
    """The contrast c'b with its t-based CI and P on Satterthwaite df."""
    se = float(np.sqrt(vector @ parts.phi @ vector))
    df = satterthwaite_df(vector, parts)
    return t_effect(float(vector @ params), se, df, MIXED_DF)
