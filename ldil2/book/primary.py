"""The Primary endpoints chapter: ACR20 at weeks 12 and 24 and across visits, DAS28-ESR < 2.6 at
week 24, and the change from baseline in CDAI and SDAI.

Each function takes the chapter's :class:`ldil2.book.chapter.Chapter`, computes with
:mod:`ldil2.stats` (through :mod:`ldil2.book.efficacy`), records every number as ARD rows and
returns a :class:`ldil2.book.common.Result` whose texts and tables are rendered from those rows.
The "Published results next to this book" section is the ledger's
(:func:`ldil2.book.ledger.published_vs_book`).
"""

from __future__ import annotations

from typing import Any

from ldil2 import contract as c
from ldil2.book.common import Result, in_population
from ldil2.book.efficacy import (
    binary,
    binary_model,
    change_means,
    change_model,
    comparison_table,
    index_change_table,
    model_table,
    published_p,
)
from ldil2.derive.analysis import chg_col, remission_col
from ldil2.present.efficacy_figures import (
    plot_individual_change,
    plot_mean_change_by_visit,
    plot_proportion_by_visit,
)
from ldil2.present.endpoints import comparison_values, mean_text
from ldil2.present.format import NOT_ESTIMABLE, estimate_of, p_of
from ldil2.present.labels import ACR20, CDAI, DAS28_ESR, SDAI, endpoint_label
from ldil2.results.ard import Ard

CHAPTER = "primary"

PRIMARY_WEEKS: tuple[int, ...] = (c.END_OF_TREATMENT_WEEK, c.LAST_WEEK)
"""Weeks of the published ACR20 comparison: end of treatment and end of follow-up."""

CHANGE_INDICES: tuple[str, ...] = (CDAI, SDAI)
"""The composite indices of the published change-from-baseline primary outcome."""

NOT_PUBLISHED = "not published"


def published_p_text(ard: Ard, ch: Any, endpoint: str, model: str) -> str:
    """The published across-visit P value of `endpoint` as "P = 0.014" (recorded as an ARD row
    next to the book's model `model`, :func:`ldil2.book.efficacy.published_p`), or "not
    published" when the record has none."""
    rid = published_p(ard, ch, endpoint, model)
    return NOT_PUBLISHED if rid is None else p_of(ard, rid)


def sensitivity_p_text(ard: Ard, rid: str | None) -> str:
    """The P value of a model's large-sample Wald sensitivity result (``gee_logit_wald``,
    ``mixed_model_wald``) as "P = 0.013", or "not estimable" when the model has none."""
    return NOT_ESTIMABLE if rid is None else p_of(ard, rid)


def acr20_primary(ch: Any) -> Result:
    """ACR20 at weeks 12 and 24 (n/N (%), difference with Newcombe CI, odds ratio, Fisher's P)
    and across every post-baseline visit (logistic GEE).

    Glue values ``acr20_w<week>_*`` (:func:`ldil2.present.endpoints.comparison_values`),
    ``acr20_gee_or``, ``acr20_gee_p`` (Mancl-DeRouen sandwich), ``acr20_gee_wald_p`` (the
    uncorrected sandwich, sensitivity), ``acr20_gee_published_p``; tables ``acr20_table`` (one
    visit at a time: Newcombe CI, Fisher's P) and ``acr20_gee_table`` (the GEE: delta-method
    CI, Wald P), whose headers name their methods; figure ``acr20_by_visit_fig``.
    """
    ard = Ard(CHAPTER, ch.population)
    comparisons = [binary(ard, ch, ACR20, week) for week in PRIMARY_WEEKS]
    values: dict[str, str] = {}
    for week, ids in zip(PRIMARY_WEEKS, comparisons, strict=True):
        values.update(comparison_values(ard, ids, f"{ACR20}_w{week}"))
    gee, model = binary_model(ard, ch, ACR20)
    values.update(
        acr20_gee_or=estimate_of(ard, gee.across, 2),
        acr20_gee_p=p_of(ard, gee.across),
        acr20_gee_wald_p=sensitivity_p_text(ard, gee.sensitivity),
        acr20_gee_published_p=published_p_text(ard, ch, ACR20, gee.across),
    )
    label = endpoint_label(ACR20)
    return Result(
        values=values,
        tables={
            "acr20_table": comparison_table(ch, ard, comparisons, label, across=gee.across),
            "acr20_gee_table": model_table(ch, ard, gee, model, label),
        },
        figures={
            "acr20_by_visit_fig": plot_proportion_by_visit(
                in_population(ch), ACR20, ylabel=f"{label} response (% of participants)"
            )
        },
        ard=ard,
    )


def das28_remission_primary(ch: Any) -> Result:
    """DAS28-ESR < 2.6 at week 24: glue values ``das28_w24_*`` and table ``das28_table``."""
    ard = Ard(CHAPTER, ch.population)
    endpoint = remission_col(DAS28_ESR)
    ids = binary(ard, ch, endpoint, c.LAST_WEEK)
    return Result(
        values=comparison_values(ard, ids, f"das28_w{c.LAST_WEEK}"),
        tables={"das28_table": comparison_table(ch, ard, [ids], endpoint_label(endpoint))},
        ard=ard,
    )


def change_primary(ch: Any) -> Result:
    """Change from baseline in CDAI and SDAI: mean and 95% CI by arm and visit, the mixed model
    across visits and at each visit.

    Glue values ``<index>_effect``, ``<index>_p`` (Satterthwaite t), ``<index>_wald_p`` (Wald z,
    sensitivity), ``<index>_published_p``,
    ``<index>_w24_<arm>``; tables ``<index>_table``; figures ``cdai_sdai_change_fig`` (mean
    change by visit) and ``individual_change_fig`` (each participant at week 24).
    """
    ard = Ard(CHAPTER, ch.population)
    values: dict[str, str] = {}
    tables = {}
    for index in CHANGE_INDICES:
        ids, model = change_model(ard, ch, index)
        means = change_means(ard, ch, index)
        values[f"{index}_effect"] = estimate_of(ard, ids.across, 2)
        values[f"{index}_p"] = p_of(ard, ids.across)
        values[f"{index}_wald_p"] = sensitivity_p_text(ard, ids.sensitivity)
        values[f"{index}_published_p"] = published_p_text(ard, ch, index, ids.across)
        for arm in c.ARMS:
            rid = means.get((arm, c.LAST_WEEK))
            values[f"{index}_w{c.LAST_WEEK}_{arm}"] = (
                "not observed" if rid is None else mean_text(ard, rid)
            )
        tables[f"{index}_table"] = index_change_table(ch, ard, index, means, ids, model)
    table = in_population(ch)
    changes = [chg_col(index) for index in CHANGE_INDICES]
    labels = [f"Change in {endpoint_label(index)} (points)" for index in CHANGE_INDICES]
    return Result(
        values=values,
        tables=tables,
        figures={
            "cdai_sdai_change_fig": plot_mean_change_by_visit(table, changes, labels),
            "individual_change_fig": plot_individual_change(
                table, changes, labels, week=c.LAST_WEEK
            ),
        },
        ard=ard,
    )
