"""Multiple imputation of a missing continuous outcome: imputation by Bayesian linear regression
within arm, ANCOVA of each imputed data set, Rubin's rules, and the delta-adjusted tipping point.

Numbers and method sentences only (their text is :mod:`ldil2.present`'s, from ARD rows). The
frame the imputation works on (one row per subject: arm, baseline, outcome) is
:func:`ldil2.derive.imputation.mi_frame`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ldil2 import contract as c
from ldil2.derive.imputation import BASELINE, OUTCOME, mi_frame

ALPHA = 0.05
"""Significance level of the tipping-point analysis."""
SE_CV = 0.01
"""Target coefficient of variation of the pooled standard error across repetitions of the
imputation in von Hippel's two-stage rule (:func:`von_hippel_imputations`): 1%, stricter than
the 5% of von Hippel's examples, because with 40 participants a 5% target leaves a Monte Carlo
error of about 0.02 in the pooled P value (with a fraction of missing information near 0.3:
m = 32); 1% (m near 800) brings it to about 0.005."""
TIPPING_DELTAS = np.arange(0.0, 30.5, 0.5)
"""Shifts (index points) of the tipping-point grid; the tipping delta is refined between them."""


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
    def ci_low(self) -> float:
        """Lower limit of :attr:`ci`."""
        return float(self.ci[0])

    @property
    def ci_high(self) -> float:
        """Upper limit of :attr:`ci`."""
        return float(self.ci[1])

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


def von_hippel_imputations(fmi: float, pilot: int, cv: float = SE_CV, level: float = 0.95) -> int:
    """Number of imputations by von Hippel's two-stage quadratic rule, from a pilot run.

    Parameters
    ----------
    fmi : fraction of missing information estimated from the pilot imputations, 0 <= fmi < 1
    pilot : number of pilot imputations, >= 2
    cv : target coefficient of variation of the pooled standard error (0.05: the SE would vary by
        about 5% if the imputation were repeated with another seed)
    level : confidence level of the two-sided interval whose upper limit is used

    Returns
    -------
    int : m = ceil(1 + 1/2 (fmi_upper / cv)^2), at least `pilot` (the pilot imputations are
    kept and the second stage adds m - pilot)

    Raises
    ------
    ValueError : fmi outside [0, 1), pilot < 2 or cv <= 0

    Notes
    -----
    fmi_upper = expit(logit(fmi) + z sqrt(2 / pilot)), z = 1.96 for `level` 0.95: the upper
    limit of the confidence interval of the fraction, because the pilot estimates it with
    error. fmi = 0 (nothing missing) keeps the pilot.

    References
    ----------
    von Hippel PT. How many imputations do you need? A two-stage calculation using a quadratic
    rule. Sociol Methods Res 2020;49:699-718.
    """
    if not 0 <= fmi < 1 or pilot < 2 or cv <= 0:
        raise ValueError(
            f"von Hippel's rule: fmi {fmi!r} violates 0 <= fmi < 1, or pilot {pilot!r} < 2, "
            f"or cv {cv!r} <= 0"
        )
    if fmi == 0:
        return int(pilot)
    z = float(sps.norm.ppf(1 - (1 - level) / 2))
    upper = float(sps.logistic.cdf(np.log(fmi / (1 - fmi)) + z * np.sqrt(2 / pilot)))
    return max(int(pilot), int(np.ceil(1 + 0.5 * (upper / cv) ** 2)))


@dataclass(frozen=True)
class MonteCarloError:
    """Monte Carlo standard errors of a pooled result: how much it would move with another seed.

    Attributes
    ----------
    estimate : sqrt(B / m), the MCSE of the pooled estimate Q-bar
    p_value : jackknife MCSE of the pooled P value over the imputations
    """

    estimate: float
    p_value: float


def monte_carlo_error(
    estimates: np.ndarray, variances: np.ndarray, df_complete: float | None = None
) -> MonteCarloError:
    """Monte Carlo standard errors of the pooled estimate and P value of m imputations.

    Parameters
    ----------
    estimates, variances, df_complete : as for :func:`pool_rubin`; m >= 3 (the jackknife pools
        m - 1 at a time)

    Notes
    -----
    MCSE(Q-bar) = sqrt(B / m). MCSE(P) by the jackknife over imputations: P_(j) is the pooled P
    without imputation j, MCSE = sqrt((m - 1) / m * sum_j (P_(j) - mean P_(.))^2).

    References
    ----------
    White IR, Royston P, Wood AM. Stat Med 2011;30:377-399, section 7.
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = q.size
    if m < 3:
        raise ValueError(f"Monte Carlo error needs at least 3 imputations, got m = {m}")
    keep = ~np.eye(m, dtype=bool)
    p = np.array([pool_rubin(q[k], u[k], df_complete).p_value for k in keep])
    return MonteCarloError(
        float(np.sqrt(q.var(ddof=1) / m)), float(np.sqrt((m - 1) / m * ((p - p.mean()) ** 2).sum()))
    )


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
    outcomes: np.ndarray, arm: np.ndarray, baseline: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Least-squares ANCOVA of complete outcomes: outcome = a + d [arm = ldil2] + b baseline,
    fitted to every row of `outcomes` at once (the design is the same in every imputation).

    Parameters
    ----------
    outcomes : (m, n) float array, complete: one outcome vector per imputed data set
    arm : contract arm codes, length n
    baseline : float array, complete, length n

    Returns
    -------
    (d, var_d, df) : the m adjusted Ld-IL2 minus placebo differences, their squared standard
        errors and the residual degrees of freedom n - 3

    Notes
    -----
    The complete-data analysis of each imputed data set (the model of
    :func:`ldil2.stats.means.ancova`): with X = [1, arm, baseline], b = (X'X)^-1 X'y,
    s^2 = |y - Xb|^2 / (n - 3), var(d) = s^2 [(X'X)^-1]_22. One matrix solve for all m data sets,
    because the tipping-point grid repeats it for every shift.
    """
    x = np.column_stack([np.ones(baseline.size), (arm == c.ARM_LDIL2).astype(float), baseline])
    y = np.atleast_2d(np.asarray(outcomes, dtype=float)).T
    xtx_inv = np.linalg.inv(x.T @ x)
    coef = xtx_inv @ x.T @ y
    df = baseline.size - x.shape[1]
    sigma2 = ((y - x @ coef) ** 2).sum(axis=0) / df
    return coef[1], sigma2 * xtx_inv[1, 1], int(df)


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
    return pool_rubin(*ancova_fits(frame, draws, shift))


def ancova_fits(
    frame: pd.DataFrame, draws: np.ndarray, shift: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`ancova_arm_effect` of every imputed data set: (estimates, variances, residual
    df), the arguments of :func:`pool_rubin` and :func:`monte_carlo_error`."""
    outcomes = draws if shift is None else draws + shift
    return ancova_arm_effect(outcomes, frame[c.ARM].to_numpy(), frame[BASELINE].to_numpy(float))


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


@dataclass(frozen=True)
class MultipleImputation:
    """The multiple-imputation analysis of one change endpoint at one visit.

    Attributes
    ----------
    frame : one row per subject (arm, baseline, outcome with NaN where missing)
    draws, missing : the imputations and the mask of imputed entries
    pooled : the ANCOVA pooled by Rubin's rules
    seed : the seed of the random generator of the imputations
    week : the visit of the outcome
    pilot : the pilot (first-stage) imputations of von Hippel's rule
    pilot_fmi : the fraction of missing information of the pilot
    cv : the target coefficient of variation of the pooled standard error
    mcse : Monte Carlo standard errors of the pooled estimate and P value
    """

    frame: pd.DataFrame
    draws: np.ndarray
    missing: np.ndarray
    pooled: PooledEstimate
    seed: int
    week: int
    pilot: int
    pilot_fmi: float
    cv: float
    mcse: MonteCarloError

    def _in_arm(self, arm: str) -> np.ndarray:
        return (self.frame[c.ARM] == arm).to_numpy()

    def n_subjects(self, arm: str) -> int:
        """Subjects of `arm` in the analysis (observed and imputed)."""
        return int(self._in_arm(arm).sum())

    def n_imputed(self, arm: str) -> int:
        """Subjects of `arm` whose outcome was imputed."""
        return int((self.missing & self._in_arm(arm)).sum())

    def arm_mean(self, arm: str) -> float:
        """Mean of the outcome in `arm` over every imputation (the mean of the arm means)."""
        return float(self.draws[:, self._in_arm(arm)].mean())

    @property
    def description(self) -> str:
        """The method in one sentence (for a footnote and the ARD rows)."""
        return (
            f"{self.pooled.m} imputations of the missing week-{self.week} change by Bayesian "
            "linear regression on the baseline value within each arm "
            f"(seed {self.seed}), ANCOVA (change ~ arm + baseline) in each, pooled by Rubin's "
            "rules with Barnard-Rubin degrees of freedom. The number of imputations follows "
            f"von Hippel's two-stage rule: {self.pilot} pilot imputations estimate the fraction "
            "of missing information, whose upper 95% confidence limit sets m = 1 + 1/2 "
            f"(fraction / {self.cv:g})^2 so that the standard error would vary by about "
            f"{100 * self.cv:g}% with another seed; Monte Carlo standard errors: sqrt(B/m) for "
            "the estimate, the jackknife over imputations for the P value."
        )

    def tipping_point(
        self, deltas: np.ndarray = TIPPING_DELTAS, alpha: float = ALPHA
    ) -> TippingPoint:
        """:func:`tipping_point` of these imputations over `deltas`."""
        return tipping_point(self.frame, self.draws, self.missing, deltas, alpha=alpha)


def multiple_imputation(
    analysis: pd.DataFrame,
    index: str,
    pilot: int,
    seed: int,
    week: int = c.LAST_WEEK,
    population: str = c.ITT,
    cv: float = SE_CV,
) -> MultipleImputation:
    """Hypothetical estimand of the change in `index` at `week` by multiple imputation, with the
    number of imputations chosen by von Hippel's two-stage rule.

    Parameters
    ----------
    analysis : the analysis table (ldil2.derive.analysis.make_analysis_table)
    index : a composite index, e.g. ``cdai``
    pilot : pilot (first-stage) imputations, >= 3
    seed : seed of ``numpy.random.default_rng``
    week, population : the visit and the population (default week 24, all randomized)
    cv : target coefficient of variation of the pooled standard error

    Notes
    -----
    Stage 1: `pilot` imputations give the fraction of missing information. Stage 2: the same
    random stream draws :func:`von_hippel_imputations` minus `pilot` more, and all m are
    analysed. Imputation: :func:`impute_normal_by_arm` (Bayesian linear regression on the
    baseline value within each arm); analysis: ANCOVA (:func:`ancova_arm_effect`) on each
    imputed data set; pooling: :func:`pool_rubin` with Barnard-Rubin degrees of freedom;
    Monte Carlo error: :func:`monte_carlo_error`.
    """
    frame = mi_frame(analysis, index, week, population)
    rng = np.random.default_rng(seed)
    draws, missing = impute_normal_by_arm(frame, pilot, rng)
    pilot_fmi = pool_rubin(*ancova_fits(frame, draws)).fmi
    m = von_hippel_imputations(pilot_fmi, pilot, cv)
    if m > pilot:
        draws = np.vstack([draws, impute_normal_by_arm(frame, m - pilot, rng)[0]])
    fits = ancova_fits(frame, draws)
    return MultipleImputation(
        frame, draws, missing, pool_rubin(*fits), seed, week, pilot, pilot_fmi, cv,
        monte_carlo_error(*fits),
    )  # fmt: skip
