"""Immunological markers as numbers: change from baseline by arm, and baseline markers of
response (logistic regression per SD, arm x marker interaction, ROC AUC with a DeLong CI, the
smallest detectable odds ratio).

The published abstract says that "low Treg and high IL-21 were associated with good responses to
Ld-IL2". These functions measure that association in one arm and ask, with an arm x marker
interaction, whether a marker is predictive (its association differs between arms) or merely
prognostic (alike in both). Results carry numbers and a ``description`` (the method sentence of
a footnote) only; their text is written by :mod:`ldil2.present.markers` from ARD rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import mannwhitneyu, norm

from ldil2 import contract as c
from ldil2.derive.markers import RESPONSE, marker_rows
from ldil2.stats.proportions import Z95

DETECTABLE_POWER = 0.8
"""Power for the smallest detectable odds ratio (Hsieh et al. 1998)."""
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
"""Which baseline values are taken to predict response in an ROC analysis."""


def summarise_marker_change(
    subjects: pd.DataFrame,
    immunology: pd.DataFrame,
    markers: Sequence[str],
    weeks: Sequence[int],
    population: str,
) -> pd.DataFrame:
    """Change from baseline of markers per arm: median (IQR), and a rank-sum test between arms.

    Parameters
    ----------
    markers : immunology columns (or ``th17_treg_ratio``)
    weeks : post-baseline weeks to report
    population : analysis population flag of subjects.csv

    Returns
    -------
    DataFrame : one row per marker and week, columns marker, week; per arm ``n_<arm>``,
        ``median_<arm>``, ``q1_<arm>``, ``q3_<arm>`` of the change (visit - baseline, in the
        marker's unit); and ``p``: two-sided Wilcoxon rank-sum (Mann-Whitney U) test of the
        change between arms (scipy.stats.mannwhitneyu, default method), NaN when an arm has
        no change.

    Notes
    -----
    Missing-data rule: observed values only; a participant without the baseline or the visit
    value is left out of that marker's row (no imputation).
    """
    frame = marker_rows(subjects, immunology, population)
    base = frame.loc[frame[c.WEEK] == c.BASELINE_WEEK].set_index(c.SUBJECT_ID)
    rows = []
    for marker in markers:
        for week in weeks:
            visit = frame.loc[frame[c.WEEK] == week].set_index(c.SUBJECT_ID)
            change = (visit[marker] - base[marker].reindex(visit.index)).dropna()
            arm = visit[c.ARM].reindex(change.index)
            row: dict[str, object] = {"marker": marker, c.WEEK: int(week)}
            groups = {}
            for code in c.ARMS:
                groups[code] = change[arm == code]
                row[f"n_{code}"] = len(groups[code])
                row[f"median_{code}"] = float(groups[code].median())
                row[f"q1_{code}"] = float(groups[code].quantile(0.25))
                row[f"q3_{code}"] = float(groups[code].quantile(0.75))
            if all(len(g) for g in groups.values()):
                row["p"] = float(mannwhitneyu(*groups.values()).pvalue)
            else:
                row["p"] = float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------ baseline marker and response
def summarise_marker_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """Participants and responders per arm of a marker-response frame
    (ldil2.derive.markers.make_marker_response_frame).

    Returns
    -------
    DataFrame : one row per arm (contract.ARMS order), columns arm, n (participants with a
        response), responders, non_responders.
    """
    rows = []
    for arm in c.ARMS:
        response = frame.loc[frame[c.ARM] == arm, RESPONSE].astype(bool)
        n, responders = len(response), int(response.sum())
        rows.append(
            {c.ARM: arm, "n": n, "responders": responders, "non_responders": n - responders}
        )
    return pd.DataFrame(rows)


def _fit_logit(y: pd.Series, x: pd.DataFrame) -> tuple[Any, str]:
    """Maximum-likelihood logistic fit, or (None, reason) when the MLE does not exist."""
    if y.nunique() < 2:
        return None, "all participants have the same response"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return sm.Logit(y.astype(float), sm.add_constant(x, has_constant="add")).fit(disp=0), ""
        except (Warning, np.linalg.LinAlgError) as problem:
            return None, f"the logistic model cannot be estimated ({type(problem).__name__})"


def _exp_wald(fit: Any, term: str) -> tuple[float, float, float, float]:
    """exp(b), exp(b -/+ 1.96 SE) and the Wald P of one term; NaN without a fit."""
    if fit is None:
        return (float("nan"),) * 4
    b, se = float(fit.params[term]), float(fit.bse[term])
    return (
        float(np.exp(b)),
        float(np.exp(b - Z95 * se)),
        float(np.exp(b + Z95 * se)),
        float(fit.pvalues[term]),
    )


@dataclass(frozen=True)
class MarkerAssociation:
    """Odds ratio of response per SD of a baseline marker, within one arm.

    Attributes
    ----------
    marker, arm : the marker column and arm code
    n, responders : participants analysed (marker and response observed) and responders
    sd : SD of the marker in those participants (ddof 1), in the marker's unit
    odds_ratio, ci_low, ci_high, p_value : exp(beta) per SD, Wald 95% CI and Wald P; NaN when
        the maximum-likelihood estimate does not exist (``note`` says why)
    """

    marker: str
    arm: str
    n: int
    responders: int
    sd: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    note: str
    description: str = (
        "Logistic regression of response on the standardised baseline marker (per SD of the "
        "analysed participants); Wald 95% CI and P"
    )


def fit_marker_association(frame: pd.DataFrame, marker: str, arm: str) -> MarkerAssociation:
    """Logistic regression of response on a baseline marker per SD, in one arm.

    Parameters
    ----------
    frame : ldil2.derive.markers.make_marker_response_frame output
    marker : a baseline marker column
    arm : arm code

    Returns
    -------
    MarkerAssociation

    Notes
    -----
    logit P(response) = b0 + b1 z, z = (x - mean) / SD over the analysed participants of the
    arm; OR per SD = exp(b1), 95% CI exp(b1 -/+ 1.96 SE), Wald P. Complete separation or a
    constant response leaves the OR NaN with the reason in ``note``.
    """
    data = frame.loc[frame[c.ARM] == arm, [marker, RESPONSE]].dropna()
    sd = float(data[marker].std())
    z = (data[marker] - data[marker].mean()) / sd
    fit, note = _fit_logit(data[RESPONSE], z.rename(marker).to_frame())
    return MarkerAssociation(
        marker, arm, len(data), int(data[RESPONSE].sum()), sd, *_exp_wald(fit, marker), note=note
    )


@dataclass(frozen=True)
class MarkerInteraction:
    """Arm x marker interaction on the odds of response (predictive vs prognostic).

    Attributes
    ----------
    marker : the baseline marker column
    n, responders : participants of both arms analysed, and responders among them
    ratio, ci_low, ci_high, p_value : ratio of the per-SD odds ratios (Ld-IL2 / placebo), its
        Wald 95% CI and the Wald P of the interaction term; NaN when not estimable (``note``)
    """

    marker: str
    n: int
    responders: int
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    note: str
    description: str = (
        "Logistic regression of response on arm, the standardised baseline marker (per SD of "
        "both arms) and their product; the product's Wald test asks whether the marker's "
        "association differs between arms (predictive) rather than being alike (prognostic)"
    )


def fit_marker_interaction(frame: pd.DataFrame, marker: str) -> MarkerInteraction:
    """Test whether a baseline marker's association with response differs between arms.

    Notes
    -----
    logit P(response) = b0 + b1 z + b2 [arm = ldil2] + b3 z [arm = ldil2], z standardised over
    both arms' analysed participants. exp(b3) is the ratio of the per-SD odds ratios (Ld-IL2 over
    placebo); Wald 95% CI and P. A marker with b3 != 0 is predictive of the Ld-IL2 effect; one
    with b1 != 0 and b3 = 0 is prognostic. The trial was not powered for this test. When an arm
    has no responders (or only responders) the arm terms are infinite: the ratio is not
    estimable (NaN, ``note`` says why), never fitted with a correction.
    """
    data = frame[[c.ARM, marker, RESPONSE]].dropna()
    z = (data[marker] - data[marker].mean()) / data[marker].std()
    treated = (data[c.ARM] == c.ARM_LDIL2).astype(float)
    x = pd.DataFrame({"z": z, "ldil2": treated, "interaction": z * treated})
    varies = data.groupby(c.ARM)[RESPONSE].nunique().reindex(list(c.ARMS), fill_value=0)
    if (varies < 2).any():  # no event (or only events) in an arm: the MLE does not exist
        fit, note = None, "an arm has no responders or only responders"
    else:
        fit, note = _fit_logit(data[RESPONSE], x)
    return MarkerInteraction(
        marker, len(data), int(data[RESPONSE].sum()), *_exp_wald(fit, "interaction"), note=note
    )


@dataclass(frozen=True)
class RocResult:
    """ROC analysis of a baseline marker for response.

    Attributes
    ----------
    marker, arm : the marker column and arm code
    direction : ``higher`` or ``lower``: which values are taken to predict response
    n_responders, n_non_responders : participants in each group (marker observed)
    auc, ci_low, ci_high : area under the ROC curve and its DeLong 95% CI (Wald on the AUC
        scale, limited to [0, 1]); the CI is NaN with fewer than 2 participants in a group
    fpr, tpr : the empirical ROC curve, from (0, 0) to (1, 1)
    """

    marker: str
    arm: str
    direction: str
    n_responders: int
    n_non_responders: int
    auc: float
    ci_low: float
    ci_high: float
    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    description: str = (
        "Empirical ROC curve; AUC = probability that a random responder has a more favourable "
        "baseline value than a random non-responder (ties count 1/2); 95% CI from the DeLong "
        "variance (DeLong et al., Biometrics 1988;44:837-45), normal approximation limited to "
        "[0, 1]"
    )


def auc_delong(positives: np.ndarray, negatives: np.ndarray) -> tuple[float, float]:
    """AUC and its DeLong variance for scores where higher predicts a positive.

    Parameters
    ----------
    positives, negatives : scores of the m positives and the n negatives (no NaN)

    Returns
    -------
    (auc, variance) : auc = mean over pairs of psi(X_i, Y_j), psi = 1 if X > Y, 1/2 if equal,
        0 otherwise; variance = S10 / m + S01 / n with S10, S01 the sample variances (ddof 1) of
        the structural components V10_i = mean_j psi(X_i, Y_j) and V01_j = mean_i psi(X_i, Y_j);
        variance NaN when m < 2 or n < 2, both NaN when a group is empty.

    References
    ----------
    DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more correlated
    receiver operating characteristic curves: a nonparametric approach. Biometrics
    1988;44:837-45.
    """
    pos = np.asarray(positives, dtype=float)[:, None]
    neg = np.asarray(negatives, dtype=float)[None, :]
    psi = (pos > neg) + 0.5 * (pos == neg)
    m, n = psi.shape
    if m == 0 or n == 0:
        return float("nan"), float("nan")
    auc = float(psi.mean())
    if m < 2 or n < 2:
        return auc, float("nan")
    variance = psi.mean(axis=1).var(ddof=1) / m + psi.mean(axis=0).var(ddof=1) / n
    return auc, float(variance)


def roc_curve(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical ROC curve (FPR, TPR) for 'score >= threshold' over every observed threshold."""
    thresholds = np.unique(np.concatenate([positives, negatives]))[::-1]
    tpr = [(positives >= t).mean() for t in thresholds]
    fpr = [(negatives >= t).mean() for t in thresholds]
    return np.array([0.0, *fpr]), np.array([0.0, *tpr])


def fit_marker_roc(frame: pd.DataFrame, marker: str, arm: str, direction: str) -> RocResult:
    """ROC curve and AUC (DeLong 95% CI) of a baseline marker for response in one arm.

    Parameters
    ----------
    frame : ldil2.derive.markers.make_marker_response_frame output
    marker : a baseline marker column
    arm : arm code
    direction : ``higher`` (high values predict response) or ``lower``

    Raises
    ------
    ValueError : an unknown direction
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: {direction!r} is not 'higher' or 'lower'")
    data = frame.loc[frame[c.ARM] == arm, [marker, RESPONSE]].dropna()
    score = data[marker].to_numpy(float) * (1 if direction == "higher" else -1)
    responded = data[RESPONSE].to_numpy(bool)
    positives, negatives = score[responded], score[~responded]
    auc, variance = auc_delong(positives, negatives)
    half = Z95 * np.sqrt(variance)
    fpr, tpr = roc_curve(positives, negatives)
    return RocResult(
        marker,
        arm,
        direction,
        len(positives),
        len(negatives),
        auc,
        max(0.0, auc - half) if np.isfinite(half) else float("nan"),
        min(1.0, auc + half) if np.isfinite(half) else float("nan"),
        tuple(float(v) for v in fpr),
        tuple(float(v) for v in tpr),
    )


def detectable_odds_ratio(n: int, response_rate: float, power: float = DETECTABLE_POWER) -> float:
    """Smallest OR per SD a two-sided 5% Wald test detects with the given power.

    Notes
    -----
    Hsieh FY, Bloch DA, Larsen MD. A simple method of sample size calculation for linear and
    logistic regression. Stat Med 1998;17:1623-34, formula (1) for a normal covariate:
    n = (z_{1-a/2} + z_{power})^2 / (p (1 - p) beta^2), solved for beta = log OR per SD, with
    p the response rate. NaN when p is 0 or 1 or n is 0.
    """
    if n <= 0 or not 0 < response_rate < 1:
        return float("nan")
    beta = (Z95 + norm.ppf(power)) / np.sqrt(n * response_rate * (1 - response_rate))
    return float(np.exp(beta))
