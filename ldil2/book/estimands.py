"""The Estimands chapter: the estimands (ICH E9(R1)) of the primary endpoints and their
intention-to-treat sensitivity analyses.

The published analysis is per-protocol (completers). Next to it: non-responder imputation (a
composite strategy: withdrawal counts as non-response) for ACR20 and DAS28-ESR remission, and
multiple imputation with Rubin's rules plus a delta-adjusted tipping point for the change from
baseline in CDAI and SDAI. Every estimate is recorded as ARD rows first, each estimand under its
own analysis id (per-protocol ``proportion_wilson``/``difference_newcombe``/``fisher``,
``gee_logit``, ``mixed_model``, ``ancova``; ITT ``*_nri``, ``mi_ancova``, ``tipping_point``);
the table, the glued texts, the verdict and the figure's tipping line are read from the rows
(:mod:`ldil2.present.estimands`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.book.common import Result, footnote, record_participants
from ldil2.book.participants import FLOW_LABELS, flow_counts
from ldil2.derive.analysis import base_col, chg_col
from ldil2.derive.populations import impute_nri, select_population
from ldil2.present.consort import WITHDRAWN
from ldil2.present.endpoints import arm_counts
from ldil2.present.estimands import (
    ACROSS_LABEL,
    BINARY_ENDPOINTS,
    CHANGE_ENDPOINTS,
    MI_LABEL,
    NRI_LABEL,
    PER_PROTOCOL_LABEL,
    PRIMARY_WEEK,
    WEEK_LABEL,
    EstimandRow,
    estimand_definitions,
    imputations_values,
    monte_carlo_text,
    plot_tipping_point,
    results_caption,
    results_frame,
    results_notes,
    tipping_delta_text,
    tipping_sentence,
    verdict,
)
from ldil2.present.format import estimate_of, p_of
from ldil2.present.labels import ACR20, CDAI, CHANGE_UNITS, INDEX_LABELS, endpoint_label
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard
from ldil2.results.efficacy import record_gee, record_means, record_mixed
from ldil2.results.imputation import record_pooled, record_tipping
from ldil2.stats.imputation import ALPHA, SE_CV, MultipleImputation, multiple_imputation
from ldil2.stats.longitudinal import gee_binary, mixed_change
from ldil2.stats.means import ancova, mean_by_visit
from ldil2.stats.proportions import response_by_arm

CHAPTER = "estimands"

# ---------------------------------------------------------------------------------------------
# The estimands and the withdrawals
# ---------------------------------------------------------------------------------------------


def definitions_result(ch: Any) -> Result:
    """Estimands chapter, first cell: the estimand table and the withdrawal counts.

    Glue values ``est_withdrawn_<arm>`` (randomized participants who withdrew before week 24,
    as the participant flow records them) and ``est_randomized_<arm>``; table
    ``estimand_table``.
    """
    ard = Ard(CHAPTER, c.ITT)
    randomized = record_participants(ard, ch, c.ITT)
    flow = flow_counts(ch.release.subjects)
    withdrawn = {
        arm: ard.record(
            WITHDRAWN,
            FLOW_LABELS[WITHDRAWN],
            "participant_flow",
            {"n": int(flow.loc[WITHDRAWN, arm])},
            group=arm,
            population=c.ITT,
        )
        for arm in c.ARMS
    }
    table = HtmlTable.from_frame(
        estimand_definitions(ch.params.get("acr_joints", "68/66")),
        f"Estimands of the primary endpoints at week {PRIMARY_WEEK} (ICH E9(R1) attributes)",
        footnote=footnote(
            ch,
            "The published analysis is the per-protocol one; the ITT estimands are this book's "
            "sensitivity analyses.",
        ),
    )
    values: dict[str, int] = {}
    for arm in c.ARMS:
        values[f"est_withdrawn_{arm}"] = int(ard.get(withdrawn[arm], "n"))
        values[f"est_randomized_{arm}"] = int(ard.get(randomized[arm], "N"))
    return Result(values=values, tables={"estimand_table": table}, ard=ard)


# ---------------------------------------------------------------------------------------------
# Every estimate side by side: record, then describe the table rows by their result_ids
# ---------------------------------------------------------------------------------------------


def binary_rows(ard: Ard, ch: Any, endpoint: str) -> list[EstimandRow]:
    """A binary primary endpoint at week 24, per-protocol observed cases and ITT with
    non-responder imputation: n/N (%), the Newcombe difference and Fisher's test
    (:func:`ldil2.stats.proportions.response_by_arm`); for ACR20 also the across-visit logistic
    GEE of each estimand (the published ACR20 P value was across time points), under NRI on
    :func:`ldil2.derive.populations.impute_nri` at every scheduled post-baseline visit."""
    label, ard_label = BINARY_ENDPOINTS[endpoint], endpoint_label(endpoint)
    rows = []
    for estimand, population, imputation in (
        (PER_PROTOCOL_LABEL, c.PER_PROTOCOL, "none"),
        (NRI_LABEL, c.ITT, "nri"),
    ):
        if endpoint == ACR20:
            table = select_population(ch.analysis, population)
            if imputation == "nri":
                table = impute_nri(table, endpoint, release=ch.release)
            model = gee_binary(table, endpoint)
            ids = record_gee(
                ard, endpoint, ard_label, model, population=population, imputation=imputation
            )
            effect, arms = ids.across, ids.participants
            rows.append(
                EstimandRow(label, estimand, ACROSS_LABEL, "logistic GEE: odds ratio", arms,
                            "participants", effect, "ratio", effect)
            )  # fmt: skip
        comparison = response_by_arm(ch.analysis, endpoint, PRIMARY_WEEK, population, imputation)
        ids = ard.binary_comparison(comparison, ard_label)
        rows.append(
            EstimandRow(label, estimand, WEEK_LABEL,
                        "difference in proportions, Fisher's exact test", ids, "count",
                        ids["difference"], "difference", ids["fisher"])
        )  # fmt: skip
    return rows


def change_rows(
    ard: Ard, ch: Any, index: str, mi: MultipleImputation
) -> tuple[list[EstimandRow], dict[str, str]]:
    """A change endpoint: in the per-protocol set the across-visit mixed model (the published
    analysis) and the week-24 ANCOVA with the observed mean change per arm; in the ITT set the
    multiple-imputation ANCOVA at week 24 (`mi`).

    Returns
    -------
    (rows, ids) : the table rows and the ids ``mixed`` (across visits), ``mixed_w24`` (the
        mixed model's week-24 contrast, the Primary chapter's week-24 P value), ``ancova`` and
        ``mi`` (the pooled difference)
    """
    label, change = CHANGE_ENDPOINTS[index], chg_col(index)
    ard_label, unit = endpoint_label(change), CHANGE_UNITS[index][0]
    pp = select_population(ch.analysis, c.PER_PROTOCOL)
    mixed = record_mixed(ard, change, ard_label, mixed_change(pp, change, base_col(index)), unit)
    fit = ancova(pp, change, base_col(index), PRIMARY_WEEK)
    ancova_id = ard.effect(change, ard_label, "ancova", fit, unit=unit, week=PRIMARY_WEEK)
    means = mean_by_visit(pp, change)
    observed = record_means(ard, change, ard_label, means[means[c.WEEK] == PRIMARY_WEEK], unit)
    pooled = record_pooled(ard, change, ard_label, mi, unit, population=c.ITT)
    rows = [
        EstimandRow(label, PER_PROTOCOL_LABEL, ACROSS_LABEL,
                    "mixed model: difference in mean change", mixed.participants,
                    "participants", mixed.across, "change", mixed.across),
        EstimandRow(label, PER_PROTOCOL_LABEL, WEEK_LABEL, "ANCOVA: difference in mean change",
                    {arm: observed[(arm, PRIMARY_WEEK)] for arm in c.ARMS}, "observed_mean",
                    ancova_id, "change", ancova_id),
        EstimandRow(label, MI_LABEL, WEEK_LABEL,
                    f"ANCOVA in each of {int(ard.get(pooled['difference'], 'count'))} "
                    "imputations, Rubin's rules",
                    {arm: pooled[arm] for arm in c.ARMS}, "imputed_mean",
                    pooled["difference"], "change", pooled["difference"]),
    ]  # fmt: skip
    ids = {
        "mixed": mixed.across,
        "mixed_w24": mixed.visits[PRIMARY_WEEK],
        "ancova": ancova_id,
        "mi": pooled["difference"],
        "mc": pooled["monte_carlo"],
        "imputations": pooled["imputations"],
    }
    return rows, ids


def sensitivity_result(ch: Any) -> Result:
    """Estimands chapter, second cell: every estimate side by side, multiple imputation,
    tipping point and verdict.

    Glue values: ``<index>_mi_imputations`` (the number von Hippel's rule chose), ``mi_seed``,
    ``<index>_mi_effect``, ``<index>_mi_p``, ``<index>_mi_fmi`` (per cent), ``<index>_mi_mcse``
    (:func:`ldil2.present.estimands.monte_carlo_text`), ``<index>_mi_pilot``,
    ``<index>_mi_pilot_fmi`` and ``mi_se_cv``
    (:func:`ldil2.present.estimands.imputations_values`), ``<index>_tipping_delta`` (text),
    ``<index>_tipping_text``, ``<index>_ancova_p`` and ``<index>_mixed_w24_p`` (the
    per-protocol week-24 P values of the ANCOVA and of the mixed model), ``verdict``; table
    ``estimand_results_table``; figure ``cdai_tipping_fig``.
    """
    pilot, seed = int(ch.params["mi_imputations"]), int(ch.params["seed"])
    cv = float(ch.params.get("mi_se_cv", SE_CV))
    ard = Ard(CHAPTER, c.PER_PROTOCOL)
    rows: list[EstimandRow] = []
    for endpoint in BINARY_ENDPOINTS:
        rows += binary_rows(ard, ch, endpoint)
    values: dict[str, Any] = {"mi_seed": seed}
    tipping: dict[str, str] = {}
    grids: dict[str, pd.DataFrame] = {}
    for index, label in CHANGE_ENDPOINTS.items():
        mi = multiple_imputation(ch.analysis, index, pilot, seed, week=PRIMARY_WEEK, cv=cv)
        index_rows, ids = change_rows(ard, ch, index, mi)
        rows += index_rows
        tp = mi.tipping_point(alpha=ALPHA)
        grids[index] = tp.grid
        unit = CHANGE_UNITS[index][0]
        change = chg_col(index)
        tipping[label] = record_tipping(
            ard, change, endpoint_label(change), tp, PRIMARY_WEEK, unit, population=c.ITT
        )
        values[f"{index}_mi_imputations"] = int(ard.get(ids["mi"], "count"))
        values[f"{index}_mi_mcse"] = monte_carlo_text(ard, ids["mc"])
        values.update(imputations_values(ard, ids["imputations"], f"{index}_mi"))
        values[f"{index}_mi_effect"] = estimate_of(ard, ids["mi"], 1)
        values[f"{index}_mi_p"] = p_of(ard, ids["mi"])
        values[f"{index}_mi_fmi"] = f"{100 * ard.get(ids['mi'], 'fmi'):.0f}%"
        values[f"{index}_tipping_delta"] = tipping_delta_text(ard, tipping[label])
        values[f"{index}_tipping_text"] = tipping_sentence(ard, tipping[label], label)
        values[f"{index}_ancova_p"] = p_of(ard, ids["ancova"])
        values[f"{index}_mixed_w24_p"] = p_of(ard, ids["mixed_w24"])
    values["verdict"] = verdict(ard, rows, tipping)
    pp = arm_counts(ard, record_participants(ard, ch, c.PER_PROTOCOL))
    itt = arm_counts(ard, record_participants(ard, ch, c.ITT))
    table = HtmlTable.from_frame(
        results_frame(ard, rows),
        results_caption(pp, itt),
        footnote=footnote(ch, *results_notes(mi.description)),
    )
    cdai = tipping[CHANGE_ENDPOINTS[CDAI]]
    figure = plot_tipping_point(grids[CDAI], ard.get(cdai, "estimate"), ALPHA, INDEX_LABELS[CDAI])
    return Result(
        values=values,
        tables={"estimand_results_table": table},
        figures={"cdai_tipping_fig": figure},
        ard=ard,
    )
