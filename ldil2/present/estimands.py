"""The Estimands chapter's texts, tables and figure, every number read from ARD rows.

- :func:`estimand_definitions`: the estimands of the primary endpoints in ICH E9(R1) terms (text);
- :class:`EstimandRow` and :func:`results_frame`: the side-by-side table, one row per endpoint,
  estimand and analysis, each row naming its method (column "Analysis");
- :func:`verdict`, :func:`tipping_sentence`, :func:`tipping_delta_text`: the plain-language
  conclusions;
- :func:`plot_tipping_point`: the tipping-point figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.derive.analysis import remission_col
from ldil2.present.format import (
    NOT_ESTIMABLE,
    count_of,
    difference_of,
    estimate_of,
    format_p,
    p_cell_of,
)
from ldil2.present.labels import ACR20, CDAI, DAS28_ESR, SDAI
from ldil2.present.theme import ARM_PALETTE, finish, legend_above
from ldil2.results.ard import Ard

PRIMARY_WEEK = c.LAST_WEEK
BINARY_ENDPOINTS: dict[str, str] = {
    ACR20: "ACR20 response",
    remission_col(DAS28_ESR): "DAS28-ESR < 2.6 (remission)",
}
CHANGE_ENDPOINTS: dict[str, str] = {CDAI: "Change in CDAI", SDAI: "Change in SDAI"}
"""The primary endpoints as the estimands table names them."""

ALPHA = 0.05
"""A P value below ALPHA reads as significant in the verdict."""

PP_POPULATION = "Per-protocol set: participants who completed week 24"
ITT_POPULATION = "All randomized participants (intention to treat)"
PP_STRATEGY = (
    "Participants who withdrew are excluded (completers analysis: compares the arms among those "
    "who stayed, which randomization does not protect)"
)
PER_PROTOCOL_LABEL = "Per-protocol (as published)"
NRI_LABEL = "ITT with non-responder imputation"
MI_LABEL = "ITT with multiple imputation"
WEEK_LABEL = f"week {PRIMARY_WEEK}"
ACROSS_LABEL = "across visits"


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
        variable = f"{label} at {week}" + (f" ({joints} joint counts)" if endpoint == ACR20 else "")
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


# ---------------------------------------------------------------------------------------------
# Cells of the side-by-side table, read from ARD rows
# ---------------------------------------------------------------------------------------------


def participants_cell(ard: Ard, rid: str) -> str:
    """'n = 17' from the participants (``N``) of a model."""
    return f"n = {int(ard.get(rid, 'N'))}"


def observed_mean_cell(ard: Ard, rid: str) -> str:
    """'n = 17; mean change -12.3' from a ``mean_t`` result (``n``, ``mean``)."""
    return f"n = {int(ard.get(rid, 'n'))}; mean change {ard.get(rid, 'mean'):.1f}"


def imputed_mean_cell(ard: Ard, rid: str) -> str:
    """'n = 23 (6 imputed); mean change -12.0' from an arm of ``mi_ancova`` (``N``, ``n``
    imputed, ``mean`` over the imputations)."""
    return (
        f"n = {int(ard.get(rid, 'N'))} ({int(ard.get(rid, 'n'))} imputed); "
        f"mean change {ard.get(rid, 'mean'):.1f}"
    )


ARM_CELLS: dict[str, Callable[[Ard, str], str]] = {
    "participants": participants_cell,
    "count": count_of,
    "observed_mean": observed_mean_cell,
    "imputed_mean": imputed_mean_cell,
}
"""How an arm's cell of the table reads its result (by :attr:`EstimandRow.arm_cell`)."""

EFFECT_CELLS: dict[str, Callable[[Ard, str], str]] = {
    "ratio": lambda ard, rid: estimate_of(ard, rid, 2),
    "difference": difference_of,
    "change": lambda ard, rid: estimate_of(ard, rid, 1),
}
"""How the effect cell reads its result (by :attr:`EstimandRow.effect_cell`): an odds ratio at
two decimals, a difference in percentage points, a difference in mean change at one decimal."""


@dataclass(frozen=True)
class EstimandRow:
    """One row of the side-by-side table: what it shows and the ARD results it reads.

    Attributes
    ----------
    endpoint, estimand, timepoint, method : the texts of the row (method names the analysis)
    arms : arm -> result_id of the arm's cell; ``arm_cell`` a key of :data:`ARM_CELLS`
    effect : result_id of the effect; ``effect_cell`` a key of :data:`EFFECT_CELLS`
    p : result_id of the P value (the effect's, or Fisher's test for a proportion)
    """

    endpoint: str
    estimand: str
    timepoint: str
    method: str
    arms: Mapping[str, str]
    arm_cell: str
    effect: str
    effect_cell: str
    p: str

    def significant(self, ard: Ard) -> bool:
        """P < ALPHA (a NaN P value is not significant)."""
        return ard.get(self.p, "p") < ALPHA


def effect_cell(ard: Ard, row: EstimandRow) -> str:
    """The effect with its 95% CI, or 'not estimable' when the estimate is NaN."""
    if not math.isfinite(ard.get(row.effect, "estimate")):
        return NOT_ESTIMABLE
    return EFFECT_CELLS[row.effect_cell](ard, row.effect)


def results_frame(ard: Ard, rows: Sequence[EstimandRow]) -> pd.DataFrame:
    """The side-by-side table: one row per endpoint, estimand and analysis, every cell read
    from the ARD results the rows name."""
    arm_columns = {
        c.ARM_LABELS[arm]: [ARM_CELLS[r.arm_cell](ard, r.arms[arm]) for r in rows] for arm in c.ARMS
    }
    return pd.DataFrame(
        {
            "Endpoint": [r.endpoint for r in rows],
            "Estimand": [r.estimand for r in rows],
            "Time point": [r.timepoint for r in rows],
            "Analysis": [r.method for r in rows],
            **arm_columns,
            "Effect (95% CI)": [effect_cell(ard, r) for r in rows],
            "P": [p_cell_of(ard, r.p) for r in rows],
        }
    )


def results_caption(pp: Mapping[str, int], itt: Mapping[str, int]) -> str:
    """'Primary endpoints under each estimand, week 24 and across visits (Ld-IL2 + MTX n = 17
    per-protocol, 23 ITT; Placebo + MTX n = 23 per-protocol, 24 ITT)'."""
    per_arm = "; ".join(
        f"{c.ARM_LABELS[arm]} n = {pp[arm]} per-protocol, {itt[arm]} ITT" for arm in c.ARMS
    )
    return (
        f"Primary endpoints under each estimand, week {PRIMARY_WEEK} and across visits ({per_arm})"
    )


def results_notes(mi_description: str) -> tuple[str, ...]:
    """The footnote paragraphs of the side-by-side table (before the data source)."""
    return (
        "Per-protocol: observed cases of participants who completed week 24.",
        "ITT, non-responder imputation: a participant without a response at the visit counts as "
        "a non-responder.",
        f"ITT, multiple imputation: {mi_description}",
        "Proportions: Newcombe hybrid score CI for the difference, Fisher's exact test. Across "
        "visits: logistic GEE (exchangeable, robust SE) and a linear mixed model of the change "
        "with a random intercept (REML).",
    )


# ---------------------------------------------------------------------------------------------
# Verdict and tipping point
# ---------------------------------------------------------------------------------------------


def _where(ard: Ard, row: EstimandRow) -> str:
    """e.g. 'Per-protocol (as published), across visits, P = 0.017'."""
    return f"{row.estimand}, {row.timepoint}, {format_p(ard.get(row.p, 'p'))}"


def verdict(ard: Ard, rows: Sequence[EstimandRow], tipping: Mapping[str, str]) -> str:
    """Plain-language verdict: which conclusions hold under which estimand.

    For each endpoint: whether the Ld-IL2 advantage is significant (P < 0.05) in every analysis,
    in some (naming those with and without) or in none; then, for each label -> result_id of
    `tipping`, the tipping point of the multiple-imputation analysis (:func:`tipping_sentence`).
    """
    sentences = []
    for endpoint in dict.fromkeys(r.endpoint for r in rows):
        of_endpoint = [r for r in rows if r.endpoint == endpoint]
        held = "; ".join(_where(ard, r) for r in of_endpoint if r.significant(ard))
        lost = "; ".join(_where(ard, r) for r in of_endpoint if not r.significant(ard))
        if not lost:
            sentences.append(f"{endpoint}: significant (P < 0.05) in every analysis: {held}.")
        elif not held:
            sentences.append(f"{endpoint}: significant in no analysis: {lost}.")
        else:
            sentences.append(
                f"{endpoint}: depends on the estimand. Significant (P < 0.05): {held}. "
                f"Not significant: {lost}."
            )
    sentences += [tipping_sentence(ard, rid, label) for label, rid in tipping.items()]
    return " ".join(sentences)


def tipping_sentence(ard: Ard, rid: str, endpoint: str) -> str:
    """What the tipping-point analysis `rid` of `endpoint` (e.g. 'Change in CDAI') says, in one
    sentence."""
    label = f"{endpoint} ({MI_LABEL})"
    delta, week = ard.get(rid, "estimate"), ard.row(rid, "estimate").week
    worse = f"the missing Ld-IL2 week-{week} changes"
    if math.isnan(delta):
        return (
            f"{label}: still significant if {worse} were {ard.get(rid, 'max'):.1f} "
            "points worse than imputed."
        )
    if delta == ard.get(rid, "min"):
        return f"{label}: not significant even before any shift."
    return (
        f"{label}: significance is lost once {worse} are assumed {delta:.1f} "
        f"points worse than imputed (missing at random)."
    )


def monte_carlo_text(ard: Ard, rid: str) -> str:
    """'Monte Carlo standard error 0.05 for the estimate and 0.005 for the P value' from a
    ``mi_monte_carlo`` result (``se``, ``p``)."""
    return (
        f"Monte Carlo standard error {ard.get(rid, 'se'):.2f} for the estimate and "
        f"{ard.get(rid, 'p'):.3f} for the P value"
    )


def imputations_values(ard: Ard, rid: str, prefix: str) -> dict[str, Any]:
    """From a ``mi_imputations`` result: ``<prefix>_pilot`` (pilot imputations, int),
    ``<prefix>_pilot_fmi`` ("28%", the pilot's fraction of missing information) and
    ``mi_se_cv`` ("1%", the target coefficient of variation of the standard error)."""
    return {
        f"{prefix}_pilot": int(ard.get(rid, "count")),
        f"{prefix}_pilot_fmi": f"{100 * ard.get(rid, 'fmi'):.0f}%",
        "mi_se_cv": f"{100 * ard.get(rid, 'tolerance'):g}%",
    }


def tipping_delta_text(ard: Ard, rid: str) -> str:
    """The tipping shift at one decimal, or 'none in range'."""
    delta = ard.get(rid, "estimate")
    return "none in range" if math.isnan(delta) else f"{delta:.1f}"


def plot_tipping_point(grid: pd.DataFrame, delta: float, alpha: float, name: str) -> Figure:
    """Tipping-point figure: pooled effect with 95% CI (top) and P value (bottom) against delta.

    Parameters
    ----------
    grid : one row per shift: ``delta``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``
        (:attr:`ldil2.stats.imputation.TippingPoint.grid`)
    delta : the tipping shift (the ARD row's estimate; NaN: none in the grid)
    alpha : the significance level (dotted line)
    name : the index as the axes name it, e.g. ``CDAI``

    The x axis is the shift added to every imputed Ld-IL2 change (index points); the dashed
    vertical line marks the tipping delta, the dotted horizontal line P = alpha.
    """
    colour = ARM_PALETTE[c.ARM_LDIL2]
    fig, (left, right) = plt.subplots(2, 1, figsize=(6.0, 6.6), sharex=True)
    left.fill_between(grid["delta"], grid["ci_low"], grid["ci_high"], color=colour, alpha=0.25)
    left.plot(grid["delta"], grid["estimate"], color=colour, label="Pooled difference (95% CI)")
    left.axhline(0, color="0.3", lw=0.8)
    left.set_ylabel(f"Difference in mean change in {name}\n(Ld-IL2 minus placebo, points)")
    right.plot(grid["delta"], grid["p_value"], color=colour)
    right.axhline(alpha, color="0.3", lw=0.8, ls=":", label=f"P = {alpha}")
    right.set_yscale("log")
    # plain numbers (0.01, 0.05, 0.1): a mathtext power of ten draws its exponent at 70% size
    right.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    right.yaxis.set_minor_formatter(ticker.NullFormatter())
    right.set_ylabel("P value (Rubin's rules,\nlog scale)")
    for ax in (left, right):
        if not math.isnan(delta):
            ax.axvline(delta, color="0.3", ls="--", lw=1, label="Tipping point")
        legend_above(ax)
    right.set_xlabel(f"Shift added to imputed Ld-IL2 {name} change (points)")
    return finish(fig)
