"""Estimands (ICH E9(R1)) and sensitivity analyses of the primary endpoints.

The published analysis is per-protocol (completers). This module states the estimands of the
primary endpoints, and estimates the intention-to-treat companions: non-responder imputation (a
composite strategy: withdrawal counts as non-response) for ACR20 and DAS28-ESR remission, and
multiple imputation with Rubin's rules plus a delta-adjusted tipping-point analysis for the change
from baseline in CDAI and SDAI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from matplotlib.figure import Figure
from scipy import stats as sps

from ldil2 import contract as c
from ldil2 import derive, ledger, stats

BASELINE, OUTCOME = "baseline", "outcome"
"""Columns of the one-row-per-subject frame the imputation works on (see :func:`mi_frame`)."""


@dataclass(frozen=True)
class PooledEstimate:
    """An estimate pooled over multiple imputations by Rubin's rules.

    Attributes
    ----------
    estimate : mean of the per-imputation estimates (Q-bar)
    within : mean of the per-imputation variances (U-bar)
    between : variance of the per-imputation estimates, ddof = 1 (B)
    total : U-bar + (1 + 1/m) B (T)
    df : degrees of freedom of the t reference distribution
    m : number of imputations
    alpha : 1 - confidence level of the interval
    """

    estimate: float
    within: float
    between: float
    total: float
    df: float
    m: int
    alpha: float = 0.05

    @property
    def se(self) -> float:
        """Standard error, sqrt(T)."""
        return float(np.sqrt(self.total))

    @property
    def ci(self) -> tuple[float, float]:
        """Two-sided (1 - alpha) interval: Q-bar -/+ t(df, 1 - alpha/2) sqrt(T)."""
        half = sps.t.ppf(1 - self.alpha / 2, self.df) * self.se
        return (self.estimate - half, self.estimate + half)

    @property
    def p_value(self) -> float:
        """Two-sided p-value of Q-bar / sqrt(T) against t(df)."""
        return float(2 * sps.t.sf(abs(self.estimate) / self.se, self.df))

    @property
    def fmi(self) -> float:
        """Fraction of missing information, approximated by (1 + 1/m) B / T."""
        return float((1 + 1 / self.m) * self.between / self.total)


def pool_rubin(
    estimates: np.ndarray, variances: np.ndarray, df_complete: float | None = None
) -> PooledEstimate:
    """Pool m complete-data estimates by Rubin's rules.

    Parameters
    ----------
    estimates : the m estimates Q_1..Q_m of one scalar quantity, m >= 2
    variances : their m squared standard errors U_1..U_m
    df_complete : residual degrees of freedom of the complete-data analysis; when given the
        Barnard-Rubin small-sample degrees of freedom are used, else Rubin's (1987)

    Returns
    -------
    PooledEstimate

    Raises
    ------
    ValueError : fewer than two imputations, lengths that differ, or a negative variance

    Notes
    -----
    Q-bar = mean(Q); U-bar = mean(U); B = sum((Q - Q-bar)^2) / (m - 1); T = U-bar + (1 + 1/m) B.
    lambda = (1 + 1/m) B / T; Rubin: df_old = (m - 1) / lambda^2. Barnard-Rubin:
    df_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lambda); df = df_old df_obs /
    (df_old + df_obs). With B = 0 the imputations agree and df = df_com (Rubin: infinite).

    References
    ----------
    Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley 1987, pp. 76-77.
    Barnard J, Rubin DB. Biometrika 1999;86:948-955.
    van Buuren S. Flexible Imputation of Missing Data, 2nd ed. 2018, section 2.3.
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.shape != u.shape or q.ndim != 1:
        raise ValueError(f"estimates {q.shape} and variances {u.shape} must be equal-length 1-D")
    m = q.size
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations, got m = {m}")
    if (u < 0).any():
        raise ValueError(f"variances must be >= 0, got {u[u < 0][0]}")
    q_bar, u_bar, b = q.mean(), u.mean(), q.var(ddof=1)
    total = u_bar + (1 + 1 / m) * b
    lam = (1 + 1 / m) * b / total
    df_old = np.inf if lam == 0 else (m - 1) / lam**2
    if df_complete is None:
        df = df_old
    else:
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        df = df_complete if lam == 0 else df_old * df_obs / (df_old + df_obs)
    return PooledEstimate(float(q_bar), float(u_bar), float(b), float(total), float(df), m)


def impute_normal_by_arm(
    frame: pd.DataFrame, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw m imputations of a missing continuous outcome, by Bayesian linear regression per arm.

    Parameters
    ----------
    frame : one row per subject with columns ``arm`` (contract arm code), ``baseline`` (float,
        complete) and ``outcome`` (float, NaN where missing)
    m : number of imputations, >= 2
    rng : random generator (seeded from the edition's ``seed`` parameter)

    Returns
    -------
    (draws, missing) : ``draws`` is an (m, n) array of the outcome with its missing entries
        imputed (observed entries are copied); ``missing`` the boolean mask of imputed entries

    Raises
    ------
    ValueError : a missing baseline, or an arm with missing outcomes and fewer than 3 observed

    Notes
    -----
    Within each arm, outcome = b0 + b1 baseline + e, e ~ N(0, s^2), fitted to the observed rows
    (n_obs rows, 2 parameters). Each imputation draws s*^2 = RSS / chi2(n_obs - 2), then
    b* ~ N(b-hat, s*^2 (X'X)^-1), then outcome = b0* + b1* baseline + N(0, s*^2) for each missing
    row: a proper imputation under missing at random given arm and baseline.

    References
    ----------
    Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley 1987, p. 167.
    van Buuren S. Flexible Imputation of Missing Data, 2nd ed. 2018, Algorithm 3.1 (norm).
    """
    base = frame[BASELINE].to_numpy(dtype=float)
    y = frame[OUTCOME].to_numpy(dtype=float)
    if np.isnan(base).any():
        row = frame.index[np.isnan(base)][0]
        raise ValueError(f"imputation: baseline is missing for row {row!r}; it must be complete")
    missing = np.isnan(y)
    draws = np.tile(y, (m, 1))
    arms = frame[c.ARM].to_numpy()
    for arm in c.ARMS:
        in_arm = arms == arm
        mis = in_arm & missing
        if not mis.any():
            continue
        obs = in_arm & ~missing
        n_obs = int(obs.sum())
        if n_obs < 3:
            raise ValueError(f"imputation: arm {arm!r} has {n_obs} observed outcomes, need >= 3")
        x_obs = np.column_stack([np.ones(n_obs), base[obs]])
        x_mis = np.column_stack([np.ones(int(mis.sum())), base[mis]])
        xtx_inv = np.linalg.inv(x_obs.T @ x_obs)
        beta_hat = xtx_inv @ x_obs.T @ y[obs]
        rss = float(np.sum((y[obs] - x_obs @ beta_hat) ** 2))
        chol = np.linalg.cholesky(xtx_inv)
        for i in range(m):
            sigma2 = rss / rng.chisquare(n_obs - 2)
            beta = beta_hat + np.sqrt(sigma2) * chol @ rng.standard_normal(2)
            noise = rng.standard_normal(int(mis.sum())) * np.sqrt(sigma2)
            draws[i, mis] = x_mis @ beta + noise
    return draws, missing


def ancova_arm_effect(
    outcome: np.ndarray, arm: np.ndarray, baseline: np.ndarray
) -> tuple[float, float, int]:
    """Least-squares ANCOVA of a complete outcome: outcome = a + d [arm = ldil2] + b baseline.

    Parameters
    ----------
    outcome, baseline : float arrays, complete, one entry per subject
    arm : contract arm codes

    Returns
    -------
    (d, var_d, df) : the adjusted Ld-IL2 minus placebo difference, its squared standard error
        and the residual degrees of freedom n - 3

    Notes
    -----
    The complete-data analysis of each imputed data set: statsmodels OLS on the design matrix
    (the model of :func:`ldil2.stats.ancova`, without the formula layer, because it runs m times
    per point of the tipping-point grid).
    """
    x = np.column_stack([np.ones(outcome.size), (arm == c.ARM_LDIL2).astype(float), baseline])
    fit = sm.OLS(outcome, x).fit()
    return float(fit.params[1]), float(fit.bse[1]) ** 2, int(fit.df_resid)


def pool_ancova(
    frame: pd.DataFrame, draws: np.ndarray, shift: np.ndarray | None = None
) -> PooledEstimate:
    """ANCOVA on each imputed data set, pooled by Rubin's rules (Barnard-Rubin df).

    Parameters
    ----------
    frame : the one-row-per-subject frame (``arm``, ``baseline``)
    draws : (m, n) imputed outcomes from :func:`impute_normal_by_arm`
    shift : optional length-n array added to every imputation (the tipping-point delta)
    """
    arm = frame[c.ARM].to_numpy()
    base = frame[BASELINE].to_numpy(dtype=float)
    fits = [ancova_arm_effect(d if shift is None else d + shift, arm, base) for d in draws]
    est, var, df = zip(*fits, strict=True)
    return pool_rubin(np.array(est), np.array(var), df_complete=df[0])


@dataclass(frozen=True)
class TippingPoint:
    """A delta-adjusted tipping-point analysis.

    Attributes
    ----------
    grid : one row per delta: ``delta``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``
    tipping_delta : smallest delta (to ``tolerance``) with p >= alpha; 0.0 if the unshifted
        analysis is already not significant; None if no delta up to the grid's end tips it
    alpha, tolerance : the significance level and the precision of ``tipping_delta``
    """

    grid: pd.DataFrame
    tipping_delta: float | None
    alpha: float
    tolerance: float


def tipping_point(
    frame: pd.DataFrame,
    draws: np.ndarray,
    missing: np.ndarray,
    deltas: np.ndarray,
    alpha: float = 0.05,
    tolerance: float = 0.01,
) -> TippingPoint:
    """How much worse the missing Ld-IL2 outcomes must be before significance is lost.

    Parameters
    ----------
    frame : the one-row-per-subject frame (``arm``, ``baseline``)
    draws, missing : imputations and their mask from :func:`impute_normal_by_arm`
    deltas : increasing shifts >= 0, in outcome units (e.g. CDAI points), added to every imputed
        Ld-IL2 outcome (a positive change from baseline in CDAI is a worsening)
    alpha : significance level
    tolerance : precision of the tipping delta, found by bisection between grid points

    Returns
    -------
    TippingPoint

    Notes
    -----
    The same imputations are shifted at every delta, so the pooled p-value is a smooth function
    of delta. Placebo imputations are left as drawn (delta-adjustment of the active arm only).

    References
    ----------
    Ratitch B, O'Kelly M, Tosiello R. Pharm Stat 2013;12:337-347.
    """
    ldil2_missing = missing & (frame[c.ARM].to_numpy() == c.ARM_LDIL2)

    def fit(delta: float) -> PooledEstimate:
        return pool_ancova(frame, draws, shift=np.where(ldil2_missing, delta, 0.0))

    fits = [fit(float(d)) for d in deltas]
    grid = pd.DataFrame(
        {
            "delta": np.asarray(deltas, dtype=float),
            "estimate": [f.estimate for f in fits],
            "ci_low": [f.ci[0] for f in fits],
            "ci_high": [f.ci[1] for f in fits],
            "p_value": [f.p_value for f in fits],
        }
    )
    above = np.flatnonzero(grid["p_value"].to_numpy() >= alpha)
    if above.size == 0:
        tipping = None
    elif above[0] == 0:
        tipping = float(deltas[0])
    else:
        low, high = float(deltas[above[0] - 1]), float(deltas[above[0]])
        while high - low > tolerance:
            mid = (low + high) / 2
            low, high = (low, mid) if fit(mid).p_value >= alpha else (mid, high)
        tipping = high
    return TippingPoint(grid, tipping, alpha, tolerance)


def mi_frame(analysis: pd.DataFrame, index: str, week: int, population: str) -> pd.DataFrame:
    """One row per subject of `population`: arm, baseline value and change at `week` of `index`.

    Parameters
    ----------
    analysis : the analysis table (ldil2.derive.make_analysis_table)
    index : a composite index of ldil2.derive.INDICES, e.g. ``cdai``
    week : the visit week of the outcome
    population : population code (its flag column selects the subjects)

    Returns
    -------
    DataFrame : indexed by subject_id, columns ``arm``, ``baseline`` (``base_<index>``) and
        ``outcome`` (``chg_<index>`` at `week`; NaN where the visit or the value is missing,
        e.g. after withdrawal), sorted by subject_id
    """
    table = derive.select_population(analysis, population)
    subjects = table.drop_duplicates(c.SUBJECT_ID)[[c.SUBJECT_ID, c.ARM, derive.base_col(index)]]
    at_week = table.loc[table[c.WEEK] == week, [c.SUBJECT_ID, derive.chg_col(index)]]
    frame = subjects.merge(at_week, on=c.SUBJECT_ID, how="left", validate="1:1")
    frame = frame.rename(
        columns={derive.base_col(index): BASELINE, derive.chg_col(index): OUTCOME}
    ).astype({BASELINE: float, OUTCOME: float})
    return frame.set_index(c.SUBJECT_ID).sort_index()


# ---------------------------------------------------------------------------------------------
# The estimands of the primary endpoints, and their estimates side by side
# ---------------------------------------------------------------------------------------------

PRIMARY_WEEK = c.LAST_WEEK
BINARY_ENDPOINTS: dict[str, str] = {
    "acr20": "ACR20 response",
    derive.remission_col("das28_esr"): "DAS28-ESR < 2.6 (remission)",
}
CHANGE_ENDPOINTS: dict[str, str] = {"cdai": "Change in CDAI", "sdai": "Change in SDAI"}
ALPHA = 0.05
TIPPING_DELTAS = np.arange(0.0, 30.5, 0.5)
"""Shifts (index points) of the tipping-point grid; the tipping delta is refined between them."""

PP_POPULATION = "Per-protocol set: participants who completed week 24"
ITT_POPULATION = "All randomized participants (intention to treat)"
PP_STRATEGY = (
    "Participants who withdrew are excluded (completers analysis: compares the arms among those "
    "who stayed, which randomization does not protect)"
)


def estimand_definitions(joints: str = "68/66") -> pd.DataFrame:
    """The estimands of the primary endpoints in ICH E9(R1) terms, one row per estimand.

    Parameters
    ----------
    joints : the ACR joint set of the edition (parameter ``acr_joints``)

    Returns
    -------
    DataFrame : columns Endpoint, Estimand, Population, Variable, Intercurrent event
        (withdrawal before week 24) and strategy, Summary measure

    References
    ----------
    ICH E9(R1) addendum on estimands and sensitivity analysis, 2019, sections A.3.1-A.3.2.
    """
    week = f"week {PRIMARY_WEEK}"
    binary_measure = "Difference in the proportion of responders (Ld-IL2 + MTX minus placebo + MTX)"
    change_measure = (
        "Difference in mean change from baseline (Ld-IL2 + MTX minus placebo + MTX), adjusted "
        "for the baseline value"
    )
    rows = []
    for endpoint, label in BINARY_ENDPOINTS.items():
        variable = f"{label} at {week}" + (
            f" ({joints} joint counts)" if endpoint == "acr20" else ""
        )
        rows += [
            (label, "As published", PP_POPULATION, variable, PP_STRATEGY, binary_measure),
            (
                label,
                "Composite",
                ITT_POPULATION,
                f"{variable}; withdrawal before {week} counts as no response",
                "Composite strategy: withdrawal is part of the outcome (non-responder imputation)",
                binary_measure,
            ),
        ]
    for index, label in CHANGE_ENDPOINTS.items():
        variable = f"{label} from baseline to {week} ({index.upper()} points)"
        rows += [
            (label, "As published", PP_POPULATION, variable, PP_STRATEGY, change_measure),
            (
                label,
                "Hypothetical",
                ITT_POPULATION,
                f"{variable} had the participant stayed in the trial",
                "Hypothetical strategy: the missing change is multiply imputed from participants "
                "of the same arm with the same baseline value (missing at random); a "
                "tipping-point analysis asks how far from that assumption the result holds",
                change_measure,
            ),
        ]
    columns = [
        "Endpoint",
        "Estimand",
        "Population",
        "Variable",
        "Intercurrent event (withdrawal) and strategy",
        "Summary measure",
    ]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class EstimandResult:
    """One estimate of one primary endpoint under one estimand (a row of the side-by-side table).

    Attributes
    ----------
    endpoint, estimand : labels of the endpoint and the estimand (population and strategy)
    timepoint, method : "week 24" or "across visits"; the model and the effect measure
    ldil2, placebo : per-arm summary text (n/N (%), or n and mean change)
    effect : the effect with its 95% CI, as text
    p_value : two-sided p-value
    """

    endpoint: str
    estimand: str
    timepoint: str
    method: str
    ldil2: str
    placebo: str
    effect: str
    p_value: float

    @property
    def significant(self) -> bool:
        """p < 0.05."""
        return self.p_value < ALPHA


PER_PROTOCOL_LABEL = "Per-protocol (as published)"
NRI_LABEL = "ITT with non-responder imputation"
MI_LABEL = "ITT with multiple imputation"
WEEK_LABEL = f"week {PRIMARY_WEEK}"
ACROSS_LABEL = "across visits"


def binary_results(
    analysis: pd.DataFrame, endpoint: str, release: Any = None
) -> list[EstimandResult]:
    """A binary primary endpoint at week 24: per-protocol observed cases vs ITT with NRI.

    Proportions, difference with the Newcombe CI and Fisher's exact test come from
    stats.response_by_arm. For ACR20 also the across-visit logistic GEE (stats.gee_binary) of
    each estimand, as the published ACR20 p-value was across time points; under NRI the GEE runs
    on derive.impute_nri at every scheduled post-baseline visit (of `release`'s metadata, else
    the visits observed).
    """
    label = BINARY_ENDPOINTS[endpoint]
    rows = []
    for estimand, population, imputation in (
        (PER_PROTOCOL_LABEL, c.PER_PROTOCOL, "none"),
        (NRI_LABEL, c.ITT, "nri"),
    ):
        if endpoint == "acr20":
            table = derive.select_population(analysis, population)
            if imputation == "nri":
                table = derive.impute_nri(table, endpoint, release=release)
            gee = stats.gee_binary(table, endpoint)
            rows.append(
                EstimandResult(
                    label,
                    estimand,
                    ACROSS_LABEL,
                    "logistic GEE: odds ratio",
                    f"n = {gee.n_subjects[c.ARM_LDIL2]}",
                    f"n = {gee.n_subjects[c.ARM_PLACEBO]}",
                    gee.estimate_text,
                    gee.p_value,
                )
            )
        cmp = stats.response_by_arm(analysis, endpoint, PRIMARY_WEEK, population, imputation)
        rows.append(
            EstimandResult(
                label,
                estimand,
                WEEK_LABEL,
                "difference in proportions, Fisher's exact test",
                cmp.text(c.ARM_LDIL2),
                cmp.text(c.ARM_PLACEBO),
                cmp.difference_text,
                cmp.p_value,
            )
        )
    return rows


@dataclass(frozen=True)
class MultipleImputation:
    """The ITT multiple-imputation analysis of one change endpoint at week 24.

    Attributes
    ----------
    frame : one row per randomized subject (arm, baseline, outcome with NaN where missing)
    draws, missing : the imputations and the mask of imputed entries
    pooled : the ANCOVA pooled by Rubin's rules
    """

    frame: pd.DataFrame
    draws: np.ndarray
    missing: np.ndarray
    pooled: PooledEstimate

    def arm_text(self, arm: str) -> str:
        """'n = 23 (6 imputed); mean change -15.1' (mean over imputations of the arm mean)."""
        in_arm = (self.frame[c.ARM] == arm).to_numpy()
        mean = float(self.draws[:, in_arm].mean())
        n_imputed = int((self.missing & in_arm).sum())
        return f"n = {int(in_arm.sum())} ({n_imputed} imputed); mean change {mean:.1f}"

    def tipping_point(self, deltas: np.ndarray = TIPPING_DELTAS) -> TippingPoint:
        """:func:`tipping_point` of these imputations over `deltas`."""
        return tipping_point(self.frame, self.draws, self.missing, deltas, alpha=ALPHA)


def multiple_imputation(
    analysis: pd.DataFrame, index: str, m: int, seed: int
) -> MultipleImputation:
    """ITT hypothetical estimand of the change in `index` at week 24 by multiple imputation.

    Imputation: :func:`impute_normal_by_arm` (Bayesian linear regression on the baseline value
    within each arm; ``m`` imputations from ``numpy.random.default_rng(seed)``); analysis: ANCOVA
    (:func:`ancova_arm_effect`) on each imputed data set; pooling: :func:`pool_rubin` with
    Barnard-Rubin degrees of freedom.
    """
    frame = mi_frame(analysis, index, PRIMARY_WEEK, c.ITT)
    draws, missing = impute_normal_by_arm(frame, m, np.random.default_rng(seed))
    return MultipleImputation(frame, draws, missing, pool_ancova(frame, draws))


def change_results(
    analysis: pd.DataFrame, index: str, mi: MultipleImputation
) -> list[EstimandResult]:
    """A change endpoint: the published across-visit mixed model (ledger.published_analysis) and the
    week-24 ANCOVA (stats.ancova) in the per-protocol set, and the ITT multiple-imputation
    ANCOVA at week 24 (`mi`)."""
    label = CHANGE_ENDPOINTS[index]
    pp = derive.select_population(analysis, c.PER_PROTOCOL)
    mixed = ledger.published_analysis(analysis, index, c.PER_PROTOCOL)
    ancova = stats.ancova(pp, derive.chg_col(index), derive.base_col(index), PRIMARY_WEEK)
    observed = mi_frame(analysis, index, PRIMARY_WEEK, c.PER_PROTOCOL).dropna()

    def observed_text(arm: str) -> str:
        values = observed.loc[observed[c.ARM] == arm, OUTCOME]
        return f"n = {len(values)}; mean change {values.mean():.1f}"

    low, high = mi.pooled.ci
    return [
        EstimandResult(
            label,
            PER_PROTOCOL_LABEL,
            ACROSS_LABEL,
            "mixed model: difference in mean change",
            f"n = {mixed.n_subjects[c.ARM_LDIL2]}",
            f"n = {mixed.n_subjects[c.ARM_PLACEBO]}",
            f"{mixed.estimate:.1f} (95% CI {mixed.ci_low:.1f} to {mixed.ci_high:.1f})",
            mixed.p_value,
        ),
        EstimandResult(
            label,
            PER_PROTOCOL_LABEL,
            WEEK_LABEL,
            "ANCOVA: difference in mean change",
            observed_text(c.ARM_LDIL2),
            observed_text(c.ARM_PLACEBO),
            ancova.estimate_text,
            ancova.p_value,
        ),
        EstimandResult(
            label,
            MI_LABEL,
            WEEK_LABEL,
            f"ANCOVA in each of {mi.pooled.m} imputations, Rubin's rules",
            mi.arm_text(c.ARM_LDIL2),
            mi.arm_text(c.ARM_PLACEBO),
            f"{mi.pooled.estimate:.1f} (95% CI {low:.1f} to {high:.1f})",
            mi.pooled.p_value,
        ),
    ]


def results_frame(results: list[EstimandResult]) -> pd.DataFrame:
    """The side-by-side table: one row per endpoint, estimand and analysis."""
    return pd.DataFrame(
        {
            "Endpoint": [r.endpoint for r in results],
            "Estimand": [r.estimand for r in results],
            "Time point": [r.timepoint for r in results],
            "Analysis": [r.method for r in results],
            c.ARM_LABELS[c.ARM_LDIL2]: [r.ldil2 for r in results],
            c.ARM_LABELS[c.ARM_PLACEBO]: [r.placebo for r in results],
            "Effect (95% CI)": [r.effect for r in results],
            "P": [stats.format_p(r.p_value) for r in results],
        }
    )


def verdict(results: list[EstimandResult], tipping: dict[str, TippingPoint]) -> str:
    """Plain-language verdict: which conclusions hold under which estimand.

    For each endpoint: whether the Ld-IL2 advantage is significant (P < 0.05) in every analysis,
    in some (naming those with and without) or in none; for each change endpoint, the tipping
    delta of the ITT multiple-imputation analysis (:func:`tipping_sentence`).
    """
    sentences = []
    for endpoint in dict.fromkeys(r.endpoint for r in results):
        rows = [r for r in results if r.endpoint == endpoint]
        held = "; ".join(_where(r) for r in rows if r.significant)
        lost = "; ".join(_where(r) for r in rows if not r.significant)
        if not lost:
            sentences.append(f"{endpoint}: significant (P < 0.05) in every analysis: {held}.")
        elif not held:
            sentences.append(f"{endpoint}: significant in no analysis: {lost}.")
        else:
            sentences.append(
                f"{endpoint}: depends on the estimand. Significant (P < 0.05): {held}. "
                f"Not significant: {lost}."
            )
    sentences += [tipping_sentence(index, tp) for index, tp in tipping.items()]
    return " ".join(sentences)


def _where(result: EstimandResult) -> str:
    """e.g. 'Per-protocol (as published), across visits, P = 0.017'."""
    return f"{result.estimand}, {result.timepoint}, {stats.format_p(result.p_value)}"


def tipping_sentence(index: str, tp: TippingPoint) -> str:
    """What the tipping-point analysis of the change in `index` says, in one sentence."""
    label = f"{CHANGE_ENDPOINTS[index]} ({MI_LABEL})"
    worse = f"the missing Ld-IL2 week-{PRIMARY_WEEK} changes"
    if tp.tipping_delta is None:
        return (
            f"{label}: still significant if {worse} were {tp.grid['delta'].iloc[-1]:.1f} "
            "points worse than imputed."
        )
    if tp.tipping_delta == tp.grid["delta"].iloc[0]:
        return f"{label}: not significant even before any shift."
    return (
        f"{label}: significance is lost once {worse} are assumed {tp.tipping_delta:.1f} "
        f"points worse than imputed (missing at random)."
    )


# ---------------------------------------------------------------------------------------------
# The estimands chapter: figure and glue bundles (one call per chapter cell)
# ---------------------------------------------------------------------------------------------


def plot_tipping_point(tp: TippingPoint, index: str) -> Figure:
    """Tipping-point figure: pooled effect with 95% CI (left) and p-value (right) against delta.

    The x axis is the shift added to every imputed Ld-IL2 change (index points); the dashed
    vertical line marks the tipping delta, the dotted horizontal line P = alpha.
    """
    from ldil2 import figures

    colour = figures.ARM_PALETTE[c.ARM_LDIL2]
    grid = tp.grid
    name = index.upper()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    left.fill_between(grid["delta"], grid["ci_low"], grid["ci_high"], color=colour, alpha=0.25)
    left.plot(grid["delta"], grid["estimate"], color=colour, label="Pooled difference (95% CI)")
    left.axhline(0, color="0.3", lw=0.8)
    left.set_ylabel(f"Difference in mean change in {name}\n(Ld-IL2 minus placebo, points)")
    right.plot(grid["delta"], grid["p_value"], color=colour)
    right.axhline(tp.alpha, color="0.3", lw=0.8, ls=":", label=f"P = {tp.alpha}")
    right.set_yscale("log")
    right.set_ylabel("P-value (Rubin's rules, log scale)")
    for ax in (left, right):
        if tp.tipping_delta is not None:
            ax.axvline(tp.tipping_delta, color="0.3", ls="--", lw=1, label="Tipping point")
        ax.set_xlabel(f"Shift added to imputed Ld-IL2\n{name} change (points)")
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _withdrawals(subjects: pd.DataFrame) -> dict[str, int]:
    """Randomized participants who did not complete week 24, per arm code."""
    randomized = subjects[subjects[c.ITT].fillna(False).astype(bool)]
    withdrawn = ~randomized[c.COMPLETED].fillna(False).astype(bool)
    return {arm: int((withdrawn & (randomized[c.ARM] == arm)).sum()) for arm in c.ARMS}


def definitions_result(ch: Any) -> Any:
    """Estimands chapter, first cell: the estimand table and the withdrawal counts.

    Glue values ``est_withdrawn_<arm>``, ``est_randomized_<arm>``; table ``estimand_table``.
    """
    from ldil2 import efficacy, tables

    randomized = efficacy.population_counts(ch.release.subjects, c.ITT)
    withdrawn = _withdrawals(ch.release.subjects)
    frame = estimand_definitions(ch.params.get("acr_joints", "68/66"))
    table = tables.HtmlTable.from_frame(
        frame,
        f"Estimands of the primary endpoints at week {PRIMARY_WEEK} (ICH E9(R1) attributes)",
        footnote=(
            "The published analysis is the per-protocol one; the ITT estimands are this book's "
            "sensitivity analyses.",
            tables.source_note(ch.release),
        ),
    )
    values: dict[str, int] = {}
    for arm in c.ARMS:
        values[f"est_withdrawn_{arm}"] = withdrawn[arm]
        values[f"est_randomized_{arm}"] = randomized[arm]
    return efficacy.Result(values=values, tables={"estimand_table": table})


def sensitivity_result(ch: Any) -> Any:
    """Estimands chapter, second cell: every estimate side by side, multiple imputation,
    tipping point and verdict.

    Glue values: ``mi_imputations``, ``mi_seed``, ``<index>_mi_effect``, ``<index>_mi_p``,
    ``<index>_mi_fmi`` (per cent), ``<index>_tipping_delta`` (text), ``<index>_tipping_text``,
    ``verdict``; table ``estimand_results_table``; figure ``cdai_tipping_fig``.
    """
    from ldil2 import efficacy, tables

    m, seed = int(ch.params["mi_imputations"]), int(ch.params["seed"])
    analysis = ch.analysis
    results: list[EstimandResult] = []
    for endpoint in BINARY_ENDPOINTS:
        results += binary_results(analysis, endpoint, ch.release)
    values: dict[str, Any] = {"mi_imputations": m, "mi_seed": seed}
    tipping: dict[str, TippingPoint] = {}
    for index in CHANGE_ENDPOINTS:
        mi = multiple_imputation(analysis, index, m, seed)
        results += change_results(analysis, index, mi)
        tipping[index] = mi.tipping_point()
        low, high = mi.pooled.ci
        values[f"{index}_mi_effect"] = f"{mi.pooled.estimate:.1f} (95% CI {low:.1f} to {high:.1f})"
        values[f"{index}_mi_p"] = stats.format_p(mi.pooled.p_value)
        values[f"{index}_mi_fmi"] = f"{100 * mi.pooled.fmi:.0f}%"
        delta = tipping[index].tipping_delta
        values[f"{index}_tipping_delta"] = "none in range" if delta is None else f"{delta:.1f}"
        values[f"{index}_tipping_text"] = tipping_sentence(index, tipping[index])
    values["verdict"] = verdict(results, tipping)
    pp = efficacy.population_counts(ch.release.subjects, c.PER_PROTOCOL)
    itt = efficacy.population_counts(ch.release.subjects, c.ITT)
    per_arm = "; ".join(
        f"{c.ARM_LABELS[arm]} n = {pp[arm]} per-protocol, {itt[arm]} ITT" for arm in c.ARMS
    )
    table = tables.HtmlTable.from_frame(
        results_frame(results),
        f"Primary endpoints under each estimand, week {PRIMARY_WEEK} and across visits ({per_arm})",
        footnote=(
            "Per-protocol: observed cases of participants who completed week 24.",
            "ITT, non-responder imputation: a participant without a response at the visit "
            "counts as a non-responder.",
            f"ITT, multiple imputation: {m} imputations of the missing week-{PRIMARY_WEEK} "
            "change by Bayesian linear regression on the baseline value within each arm "
            f"(seed {seed}), ANCOVA (change ~ arm + baseline) in each, pooled by Rubin's rules "
            "with Barnard-Rubin degrees of freedom.",
            "Proportions: Newcombe hybrid score CI for the difference, Fisher's exact test. "
            "Across visits: logistic GEE (exchangeable, robust SE) and a linear mixed model of "
            "the change with a random intercept (REML).",
            tables.source_note(ch.release),
        ),
    )
    return efficacy.Result(
        values=values,
        tables={"estimand_results_table": table},
        figures={"cdai_tipping_fig": plot_tipping_point(tipping["cdai"], "cdai")},
    )
