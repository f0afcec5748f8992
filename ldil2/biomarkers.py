"""Immunological biomarkers: courses by arm and baseline markers of ACR20 response.

The published abstract says that "low Treg and high IL-21 were associated with good responses to
Ld-IL2". This module measures that association in the Ld-IL2 arm (logistic regression per SD,
ROC AUC with a DeLong CI) and asks, with an arm x marker interaction, whether a marker is
predictive (its association differs between arms) or merely prognostic (alike in both). With
17 Ld-IL2 participants in the published analysis set all of it is exploratory.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from matplotlib.figure import Figure
from scipy.stats import mannwhitneyu, norm

from ldil2 import contract as c
from ldil2 import efficacy
from ldil2.derive import impute_nri
from ldil2.safety import dosing_windows_weeks, in_population, plot_courses
from ldil2.stats import Z95, format_p, mean_by_visit

TH17_TREG_RATIO = "th17_treg_ratio"
MARKER_LABELS: dict[str, str] = {
    "cd4_per_ul": "CD4+ T cells (cells/µL)",
    "treg_pct_cd4": "Treg (% of CD4+)",
    "treg_per_ul": "Treg (cells/µL)",
    "th17_pct_cd4": "Th17 (% of CD4+)",
    TH17_TREG_RATIO: "Th17/Treg ratio",
    "il21_pg_ml": "IL-21 (pg/mL)",
    "il6_pg_ml": "IL-6 (pg/mL)",
    "il17a_pg_ml": "IL-17A (pg/mL)",
}
# The direction in which the published claim expects each baseline marker to favour response:
# "low Treg and high IL-21 were associated with good responses to Ld-IL2".
PUBLISHED_DIRECTION: dict[str, str] = {"treg_pct_cd4": "lower", "il21_pg_ml": "higher"}
RESPONSE = "response"
# Okabe-Ito bluish green and reddish purple: colour-blind safe, distinct from the arm palette.
MARKER_COLOURS: tuple[str, ...] = ("#009E73", "#CC79A7")
DETECTABLE_POWER = 0.8  # power for the smallest detectable odds ratio (Hsieh et al. 1998)


def derive_th17_treg_ratio(immunology: pd.DataFrame) -> pd.DataFrame:
    """Add ``th17_treg_ratio`` = th17_pct_cd4 / treg_pct_cd4 (both % of CD4+, unitless ratio).

    Returns
    -------
    DataFrame : a copy with the column; NaN where either is missing or Treg % is 0.
    """
    out = immunology.copy()
    treg = out["treg_pct_cd4"].where(out["treg_pct_cd4"] > 0)
    out[TH17_TREG_RATIO] = out["th17_pct_cd4"] / treg
    return out


def plot_markers(
    subjects: pd.DataFrame, immunology: pd.DataFrame, markers: list[str], population: str
) -> Figure:
    """Mean (95% CI) of immunological markers over weeks by arm, dosing cycles shaded.

    Parameters
    ----------
    markers : columns of immunology.csv, or ``th17_treg_ratio``
    population : the analysis population (a boolean column of subjects.csv)
    """
    frame = in_population(subjects, derive_th17_treg_ratio(immunology), population)
    labels = {m: MARKER_LABELS[m] for m in markers}
    return plot_courses(frame, labels, shade_weeks=dosing_windows_weeks(), ncols=len(markers))


def summarise_marker_change(
    subjects: pd.DataFrame,
    immunology: pd.DataFrame,
    markers: list[str],
    weeks: tuple[int, ...],
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
    frame = in_population(subjects, derive_th17_treg_ratio(immunology), population)
    frame = frame.astype({c.WEEK: "int64"})
    base = frame.loc[frame[c.WEEK] == c.BASELINE_WEEK].set_index(c.SUBJECT_ID)
    rows = []
    for marker in markers:
        for week in weeks:
            visit = frame.loc[frame[c.WEEK] == week].set_index(c.SUBJECT_ID)
            change = (visit[marker] - base[marker].reindex(visit.index)).dropna()
            arm = visit[c.ARM].reindex(change.index)
            row: dict[str, object] = {"marker": marker, c.WEEK: week}
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
def make_marker_response_frame(
    subjects: pd.DataFrame,
    immunology: pd.DataFrame,
    analysis: pd.DataFrame,
    population: str,
    endpoint: str = "acr20",
    week: int = c.LAST_WEEK,
    imputation: str = "none",
) -> pd.DataFrame:
    """One row per participant: arm, baseline markers and the response at ``week``.

    Parameters
    ----------
    subjects : subjects.csv frame (population flags)
    immunology : immunology.csv frame; the week-0 row gives the baseline markers
    analysis : ldil2.derive.make_analysis_table output (subject_id, week, ``endpoint``)
    population : analysis population flag of subjects.csv
    endpoint : a nullable boolean response column of the analysis table
    week : the visit of the response
    imputation : ``none`` (observed responses) or ``nri`` (non-responder imputation,
        ldil2.derive.impute_nri: a missing response counts as no response)

    Returns
    -------
    DataFrame : columns subject_id, arm, the immunology markers at baseline and ``response``
        (bool). Missing-data rule: with ``none`` a participant without the response at ``week``
        is left out; a missing baseline marker is NaN and is dropped by each analysis of that
        marker (complete cases).

    Raises
    ------
    ValueError : an unknown imputation
    """
    if imputation == "nri":
        analysis = impute_nri(analysis, endpoint, weeks=[week])
    elif imputation != "none":
        raise ValueError(f"imputation: {imputation!r} is not 'none' or 'nri'")
    at_week = analysis.loc[analysis[c.WEEK].astype("int64") == week, [c.SUBJECT_ID, endpoint]]
    at_week = at_week.dropna(subset=[endpoint])
    baseline = immunology.loc[immunology[c.WEEK].astype("int64") == c.BASELINE_WEEK]
    baseline = baseline[[c.SUBJECT_ID, *c.IMMUNOLOGY_MEASURES]]
    out = in_population(subjects, at_week, population).merge(baseline, on=c.SUBJECT_ID, how="left")
    out[RESPONSE] = out.pop(endpoint).astype(bool)
    return out.reset_index(drop=True)


def _fit_logit(y: pd.Series, x: pd.DataFrame):
    """Maximum-likelihood logistic fit, or (None, reason) when the MLE does not exist."""
    if y.nunique() < 2:
        return None, "all participants have the same response"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return sm.Logit(y.astype(float), sm.add_constant(x, has_constant="add")).fit(disp=0), ""
        except (Warning, np.linalg.LinAlgError) as problem:
            return None, f"the logistic model cannot be estimated ({type(problem).__name__})"


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

    @property
    def text(self) -> str:
        """e.g. 'OR 0.45 per SD (95% CI 0.12 to 1.70; P = 0.240)'."""
        if not np.isfinite(self.odds_ratio):
            return f"not estimable: {self.note}"
        return (
            f"OR {self.odds_ratio:.2f} per SD (95% CI {self.ci_low:.2f} to {self.ci_high:.2f}; "
            f"{format_p(self.p_value)})"
        )


def fit_marker_association(frame: pd.DataFrame, marker: str, arm: str) -> MarkerAssociation:
    """Logistic regression of response on a baseline marker per SD, in one arm.

    Parameters
    ----------
    frame : :func:`make_marker_response_frame` output
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
    estimate = (float("nan"),) * 4
    if fit is not None:
        b, se = float(fit.params[marker]), float(fit.bse[marker])
        estimate = (
            float(np.exp(b)),
            float(np.exp(b - Z95 * se)),
            float(np.exp(b + Z95 * se)),
            float(fit.pvalues[marker]),
        )
    return MarkerAssociation(
        marker, arm, len(data), int(data[RESPONSE].sum()), sd, *estimate, note=note
    )


@dataclass(frozen=True)
class MarkerInteraction:
    """Arm x marker interaction on the odds of response (predictive vs prognostic).

    Attributes
    ----------
    marker : the baseline marker column
    n : participants of both arms analysed
    ratio, ci_low, ci_high, p_value : ratio of the per-SD odds ratios (Ld-IL2 / placebo), its
        Wald 95% CI and the Wald P of the interaction term; NaN when not estimable (``note``)
    """

    marker: str
    n: int
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

    @property
    def text(self) -> str:
        """e.g. 'ratio of ORs 0.52 (95% CI 0.10 to 2.71; P = 0.440)'."""
        if not np.isfinite(self.ratio):
            return f"not estimable: {self.note}"
        return (
            f"ratio of ORs {self.ratio:.2f} (95% CI {self.ci_low:.2f} to {self.ci_high:.2f}; "
            f"{format_p(self.p_value)})"
        )


def fit_marker_interaction(frame: pd.DataFrame, marker: str) -> MarkerInteraction:
    """Test whether a baseline marker's association with response differs between arms.

    Notes
    -----
    logit P(response) = b0 + b1 z + b2 [arm = ldil2] + b3 z [arm = ldil2], z standardised over
    both arms' analysed participants. exp(b3) is the ratio of the per-SD odds ratios (Ld-IL2 over
    placebo); Wald 95% CI and P. A marker with b3 != 0 is predictive of the Ld-IL2 effect; one
    with b1 != 0 and b3 = 0 is prognostic. The trial was not powered for this test.
    """
    data = frame[[c.ARM, marker, RESPONSE]].dropna()
    z = (data[marker] - data[marker].mean()) / data[marker].std()
    treated = (data[c.ARM] == c.ARM_LDIL2).astype(float)
    x = pd.DataFrame({"z": z, "ldil2": treated, "interaction": z * treated})
    fit, note = _fit_logit(data[RESPONSE], x)
    estimate = (float("nan"),) * 4
    if fit is not None:
        b, se = float(fit.params["interaction"]), float(fit.bse["interaction"])
        estimate = (
            float(np.exp(b)),
            float(np.exp(b - Z95 * se)),
            float(np.exp(b + Z95 * se)),
            float(fit.pvalues["interaction"]),
        )
    return MarkerInteraction(marker, len(data), *estimate, note=note)


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

    @property
    def text(self) -> str:
        """e.g. 'AUC 0.71 (95% CI 0.45 to 0.97)'."""
        if not np.isfinite(self.auc):
            return "AUC not estimable (responders or non-responders missing)"
        if not np.isfinite(self.ci_low):
            return f"AUC {self.auc:.2f} (95% CI not estimable)"
        return f"AUC {self.auc:.2f} (95% CI {self.ci_low:.2f} to {self.ci_high:.2f})"


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
    frame : :func:`make_marker_response_frame` output
    marker : a baseline marker column
    arm : arm code
    direction : ``higher`` (high values predict response) or ``lower``

    Raises
    ------
    ValueError : an unknown direction
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction: {direction!r} is not 'higher' or 'lower'")
    data = frame.loc[frame[c.ARM] == arm, [marker, RESPONSE]].dropna()
    score = data[marker].to_numpy(float) * (1 if direction == "higher" else -1)
    positives, negatives = (
        score[data[RESPONSE].to_numpy(bool)],
        score[~data[RESPONSE].to_numpy(bool)],
    )
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


def plot_roc(results: list[RocResult]) -> Figure:
    """ROC curves of baseline markers for response, one line per marker, chance diagonal."""
    fig, ax = plt.subplots(figsize=(5.5, 6.0))
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=0.8, label="Chance (AUC 0.50)")
    for result, colour in zip(results, MARKER_COLOURS, strict=False):
        word = "low" if result.direction == "lower" else "high"
        ax.plot(
            result.fpr,
            result.tpr,
            color=colour,
            label=f"{word} {MARKER_LABELS[result.marker]}: {result.text}",
        )
    ax.set_xlabel("1 - specificity (false-positive fraction)")
    ax.set_ylabel("Sensitivity (true-positive fraction)")
    ax.set_aspect("equal")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def detectable_odds_ratio(n: int, response_rate: float, power: float = 0.8) -> float:
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


# --------------------------------------------------------------- chapter result bundles
# Each takes the chapter (ldil2.chapter.Chapter) and returns an ldil2.efficacy.Result: plain
# glue values, HTML tables and figures under their glue names (prefix ``bio_``).

CHANGE_MARKERS: tuple[str, ...] = (
    "treg_pct_cd4",
    "treg_per_ul",
    "th17_pct_cd4",
    TH17_TREG_RATIO,
    "il21_pg_ml",
    "il6_pg_ml",
    "il17a_pg_ml",
)


def _weeks(ch: Any) -> list[int]:
    return sorted(int(w) for w in ch.release.immunology[c.WEEK].dropna().unique())


def biomarker_facts(ch: Any) -> efficacy.Result:
    """Glue values: the immunology visits of the release and the immunology sample per arm."""
    sampled = in_population(ch.release.subjects, ch.release.immunology, ch.population)
    n = sampled.groupby(c.ARM)[c.SUBJECT_ID].nunique()
    return efficacy.Result(
        values={
            "bio_weeks": ", ".join(str(w) for w in _weeks(ch)),
            **{f"bio_sampled_{arm}": int(n.get(arm, 0)) for arm in c.ARMS},
        }
    )


def _means_at(means: pd.Series, weeks: list[int]) -> str:
    """'7.35 (week 2), 6.90 (week 6)' for the weeks sampled; 'not sampled' when none is."""
    parts = [f"{means[w]:.2f} (week {w})" for w in weeks if w in means.index]
    return ", ".join(parts) or "not sampled"


def course_result(ch: Any, markers: tuple[str, ...], name: str) -> efficacy.Result:
    """Figure ``bio_<name>_fig`` of markers over time, and glue values of the first marker's mean
    per arm: ``bio_<name>_base_<arm>`` (week 0), ``_ends_<arm>`` (the week each dosing period
    ends), ``_starts_<arm>`` (the first week of each later cycle, before its first dose, after
    the break) and ``_last_<arm>`` with ``_last_week_<arm>`` (the last visit)."""
    frame = in_population(
        ch.release.subjects, derive_th17_treg_ratio(ch.release.immunology), ch.population
    )
    course = mean_by_visit(frame, markers[0], include_baseline=True)
    ends = [round(end) for _, end in dosing_windows_weeks()]
    starts = list(c.DOSING_CYCLE_START_WEEKS[1:])
    values: dict[str, efficacy.GlueValue] = {}
    for arm in c.ARMS:
        means = course.loc[course[c.ARM] == arm].set_index(c.WEEK)["mean"]
        values[f"bio_{name}_base_{arm}"] = _means_at(means, [c.BASELINE_WEEK])
        values[f"bio_{name}_ends_{arm}"] = _means_at(means, ends)
        values[f"bio_{name}_starts_{arm}"] = _means_at(means, starts)
        values[f"bio_{name}_last_{arm}"] = _means_at(means, [int(means.index.max())])
    fig = plot_markers(ch.release.subjects, ch.release.immunology, list(markers), ch.population)
    plt.close(fig)
    return efficacy.Result(values=values, figures={f"bio_{name}_fig": fig})


def _median_iqr(median: float, q1: float, q3: float, n: int) -> str:
    return "no data (n = 0)" if n == 0 else f"{median:.2f} ({q1:.2f} to {q3:.2f}), n = {n}"


def change_result(ch: Any) -> efficacy.Result:
    """Table ``bio_change_table``: change from baseline of every marker at the end of treatment
    and at the last visit (those present in the release), median (IQR) per arm and P."""
    weeks = tuple(w for w in (c.END_OF_TREATMENT_WEEK, c.LAST_WEEK) if w in _weeks(ch))
    out = summarise_marker_change(
        ch.release.subjects, ch.release.immunology, list(CHANGE_MARKERS), weeks, ch.population
    )
    rows = []
    for _, line in out.iterrows():
        row = {"Marker": MARKER_LABELS[line["marker"]], "Week": str(line[c.WEEK])}
        for arm in c.ARMS:
            row[f"{c.ARM_LABELS[arm]}: median change (IQR)"] = _median_iqr(
                line[f"median_{arm}"], line[f"q1_{arm}"], line[f"q3_{arm}"], line[f"n_{arm}"]
            )
        row["Rank-sum P"] = format_p(line["p"]).removeprefix("P = ").removeprefix("P ")
        rows.append(row)
    note = efficacy.footnote(
        ch,
        "Change = visit value minus the week-0 value, in the marker's unit. Median and "
        "interquartile range per arm; two-sided Wilcoxon rank-sum (Mann-Whitney U) test between "
        "arms, not adjusted for multiplicity (exploratory). Missing-data rule: observed values "
        "only; a participant without the week-0 or the visit value is not counted.",
    )
    weeks_text = " and ".join(str(w) for w in weeks) or "none sampled"
    title = efficacy.caption(
        ch, f"Change from baseline in immunological markers, week {weeks_text}"
    )
    return efficacy.Result(
        tables={"bio_change_table": efficacy.html_table(pd.DataFrame(rows), title, note)}
    )


def sample_size_values(frame: pd.DataFrame) -> dict[str, efficacy.GlueValue]:
    """Glue values of what the Ld-IL2 sample of :func:`make_marker_response_frame` can show:
    n, responders, non-responders, placebo n, the response week, and the smallest OR per SD
    detectable with DETECTABLE_POWER (:func:`detectable_odds_ratio`)."""
    treated = frame.loc[frame[c.ARM] == c.ARM_LDIL2]
    n, responders = len(treated), int(treated[RESPONSE].sum())
    detectable = detectable_odds_ratio(n, responders / n if n else 0.0, DETECTABLE_POWER)
    return {
        "bio_assoc_n": n,
        "bio_assoc_responders": responders,
        "bio_assoc_non_responders": n - responders,
        "bio_assoc_detectable_or": f"{detectable:.1f}" if np.isfinite(detectable) else "NA",
        "bio_assoc_power": f"{100 * DETECTABLE_POWER:.0f}%",
        "bio_assoc_week": c.LAST_WEEK,
        "bio_assoc_n_placebo": int((frame[c.ARM] == c.ARM_PLACEBO).sum()),
    }


def marker_results(
    frame: pd.DataFrame, marker: str, direction: str
) -> tuple[dict[str, str], dict[str, efficacy.GlueValue], RocResult]:
    """One baseline marker: its table row, its glue values (``bio_<marker>_or``, ``_or_placebo``,
    ``_auc``, ``_interaction``) and its ROC result (Ld-IL2 arm)."""
    within = {arm: fit_marker_association(frame, marker, arm) for arm in c.ARMS}
    roc = fit_marker_roc(frame, marker, c.ARM_LDIL2, direction)
    interaction = fit_marker_interaction(frame, marker)
    ldil2, placebo = c.ARM_LABELS[c.ARM_LDIL2], c.ARM_LABELS[c.ARM_PLACEBO]
    row = {
        "Baseline marker": MARKER_LABELS[marker],
        "Published direction": f"{direction} values with response",
        f"{ldil2}: OR per SD (95% CI; P)": within[c.ARM_LDIL2].text,
        f"{ldil2}: ROC AUC (95% CI)": roc.text,
        f"{placebo}: OR per SD (95% CI; P)": within[c.ARM_PLACEBO].text,
        "Arm × marker interaction": interaction.text,
    }
    values: dict[str, efficacy.GlueValue] = {
        f"bio_{marker}_or": within[c.ARM_LDIL2].text,
        f"bio_{marker}_or_placebo": within[c.ARM_PLACEBO].text,
        f"bio_{marker}_auc": roc.text,
        f"bio_{marker}_interaction": interaction.text,
    }
    return row, values, roc


def association_result(ch: Any) -> efficacy.Result:
    """Table ``bio_association_table``, figure ``bio_roc_fig`` and the glue values of the
    baseline-marker analysis of ACR20 at the last visit (markers of PUBLISHED_DIRECTION)."""
    imputation = ch.params.get("imputation", "none")
    frame = make_marker_response_frame(
        ch.release.subjects, ch.release.immunology, ch.analysis, ch.population,
        imputation=imputation,
    )  # fmt: skip
    values, rows, rocs = sample_size_values(frame), [], []
    for marker, direction in PUBLISHED_DIRECTION.items():
        row, marker_values, roc = marker_results(frame, marker, direction)
        rows.append(row)
        values.update(marker_values)
        rocs.append(roc)
    rule = (
        f"non-responder imputation: a missing week-{c.LAST_WEEK} response counts as no response"
        if imputation == "nri"
        else f"observed week-{c.LAST_WEEK} responses only (complete cases)"
    )
    note = efficacy.footnote(
        ch,
        f"{MarkerAssociation.description}. {RocResult.description}; the AUC is for the "
        f"published direction. {MarkerInteraction.description}. Missing-data rule: {rule}; a "
        "missing baseline marker excludes the participant from that marker's analyses. "
        "Exploratory, no multiplicity control.",
    )
    title = efficacy.caption(
        ch, f"Baseline Treg % and IL-21 and ACR20 response at week {c.LAST_WEEK}"
    )
    fig = plot_roc(rocs)
    plt.close(fig)
    return efficacy.Result(
        values=values,
        tables={"bio_association_table": efficacy.html_table(pd.DataFrame(rows), title, note)},
        figures={"bio_roc_fig": fig},
    )
