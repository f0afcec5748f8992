"""What the efficacy chapters share: the population and imputation of each analysis, the models
behind the primary and secondary endpoints, and recording their results as ARD rows.

The primary and secondary chapter modules (:mod:`ldil2.book.primary`,
:mod:`ldil2.book.secondary`), the methods chapter (models table, missing-data rule) and the
ledger (a published number in the edition's population) take their comparisons from here, so
one endpoint is analysed the same way on every page.
"""

from __future__ import annotations

from typing import Any

from ldil2 import contract as c
from ldil2.book.common import footnote, in_population, record_participants
from ldil2.derive.analysis import base_col, chg_col
from ldil2.derive.populations import impute_nri, scheduled_weeks
from ldil2.present.endpoints import (
    across_note,
    change_table,
    comparison_values,
    endpoint_table,
    gee_table,
    population_title,
)
from ldil2.present.labels import CHANGE_UNITS, endpoint_label
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import ODDS_RATIO_METHOD, Ard
from ldil2.results.efficacy import ModelIds, record_gee, record_means, record_mixed
from ldil2.results.ledger import PUBLISHED
from ldil2.stats.ledger import P_VALUE
from ldil2.stats.longitudinal import LongitudinalResult, gee_binary, mixed_change
from ldil2.stats.means import mean_by_visit
from ldil2.stats.proportions import (
    IMPUTATIONS,
    NOT_ESTIMABLE_OR,
    WOOLF,
    BinaryComparison,
    response_by_arm,
)

# ---------------------------------------------------------------------------------------------
# The analyses: population, imputation, model
# ---------------------------------------------------------------------------------------------


def imputation(ch: Any) -> str:
    """The edition's rule for missing binary responses: ``none`` (observed) or ``nri``."""
    return str(ch.params.get("imputation", "none"))


def missing_rule(ch: Any) -> str:
    """The missing-data rule of binary endpoints in this edition (for footnotes)."""
    return f"Missing data: {IMPUTATIONS[imputation(ch)]}."


def compare_binary(ch: Any, endpoint: str, week: int) -> BinaryComparison:
    """:func:`ldil2.stats.proportions.response_by_arm` of `endpoint` at `week` in the chapter's
    population, with the edition's imputation."""
    return response_by_arm(ch.analysis, endpoint, week, ch.population, imputation(ch))


def binary_across_visits(ch: Any, endpoint: str) -> LongitudinalResult:
    """:func:`ldil2.stats.longitudinal.gee_binary` of `endpoint` over every post-baseline visit
    in the chapter's population; under ``nri`` the missing visits are imputed as non-response
    first (:func:`ldil2.derive.populations.impute_nri` at the scheduled visits)."""
    table = in_population(ch)
    if imputation(ch) == "nri":
        table = impute_nri(table, endpoint, release=ch.release)
    return gee_binary(table, endpoint)


def change_across_visits(ch: Any, index: str) -> LongitudinalResult:
    """:func:`ldil2.stats.longitudinal.mixed_change` of the change from baseline in `index`
    (adjusted for its baseline value) over every post-baseline visit in the chapter's
    population."""
    return mixed_change(in_population(ch), chg_col(index), base_col(index))


def compared_weeks(ch: Any, endpoint: str) -> list[int]:
    """Post-baseline scheduled visits (:func:`ldil2.derive.populations.scheduled_weeks`) at
    which both arms of the population have a value of `endpoint` (every scheduled visit under
    non-responder imputation)."""
    weeks = list(scheduled_weeks(ch.release, ch.analysis))
    if imputation(ch) == "nri":
        return weeks
    table = in_population(ch).dropna(subset=[endpoint])
    observed = table.groupby(c.WEEK)[c.ARM].nunique()
    return [w for w in weeks if observed.get(w, 0) == len(c.ARMS)]


# ---------------------------------------------------------------------------------------------
# Recording: compute, record the ARD rows, return their ids
# ---------------------------------------------------------------------------------------------


def binary(ard: Ard, ch: Any, endpoint: str, week: int) -> dict[str, str]:
    """Record :func:`compare_binary` of `endpoint` at `week` (:meth:`Ard.binary_comparison`)
    and return its ids."""
    return ard.binary_comparison(compare_binary(ch, endpoint, week), endpoint_label(endpoint))


def binary_by_visit(ard: Ard, ch: Any, endpoint: str) -> list[dict[str, str]]:
    """:func:`binary` of `endpoint` at every visit of :func:`compared_weeks`."""
    return [binary(ard, ch, endpoint, week) for week in compared_weeks(ch, endpoint)]


def binary_model(ard: Ard, ch: Any, endpoint: str) -> tuple[ModelIds, LongitudinalResult]:
    """Record :func:`binary_across_visits` of `endpoint`
    (:func:`ldil2.results.efficacy.record_gee`); return the ids and the model (its
    description)."""
    model = binary_across_visits(ch, endpoint)
    label = endpoint_label(endpoint)
    return record_gee(ard, endpoint, label, model, imputation=imputation(ch)), model


def change_model(ard: Ard, ch: Any, index: str) -> tuple[ModelIds, LongitudinalResult]:
    """Record :func:`change_across_visits` of `index` (``mixed_model`` rows in the index's
    unit, :data:`ldil2.present.labels.CHANGE_UNITS`); return the ids and the model."""
    model = change_across_visits(ch, index)
    change = chg_col(index)
    ids = record_mixed(ard, change, endpoint_label(change), model, CHANGE_UNITS[index][0])
    return ids, model


def change_means(ard: Ard, ch: Any, index: str) -> dict[tuple[str, int], str]:
    """Record the mean change from baseline in `index` by arm and post-baseline visit
    (:func:`ldil2.stats.means.mean_by_visit`, ``mean_t`` rows); return (arm, week) -> id."""
    change = chg_col(index)
    means = mean_by_visit(in_population(ch), change)
    return record_means(ard, change, endpoint_label(change), means, CHANGE_UNITS[index][0])


def published_p(ard: Ard, ch: Any, endpoint: str, model: str) -> str | None:
    """Record the published across-visit P value of `endpoint` (published.csv) next to the
    book's across-visit model `model` (its result_id) and return its id; None when the record
    has none.

    The row takes the model row's endpoint, label, group and unit, the record's population and
    the analysis ``published``, as the ledger records it
    (:func:`ldil2.results.ledger.record_comparison`), so the published number is one row."""
    record = ch.release.published
    rows = record[(record[c.PUB_ENDPOINT] == endpoint) & (record[c.PUB_STATISTIC] == P_VALUE)]
    if not len(rows):
        return None
    published, row = rows.iloc[0], ard.row(model, "p")
    return ard.record(
        row.endpoint,
        row.endpoint_label,
        PUBLISHED,
        {"p": float(published[c.PUB_VALUE])},
        group=row.group,
        unit=row.unit,
        population=str(published[c.PUB_POPULATION]),
        method=f"Published P value ({published[c.PUB_SOURCE]}): {published[c.PUB_STATEMENT]}",
    )


# ---------------------------------------------------------------------------------------------
# Tables: captions and footnotes around the present layer's tables
# ---------------------------------------------------------------------------------------------


def comparison_table(
    ch: Any,
    ard: Ard,
    comparisons: list[dict[str, str]],
    measure: str,
    across: str | None = None,
) -> HtmlTable:
    """Endpoint table (:func:`ldil2.present.endpoints.endpoint_table`) of recorded comparisons
    in the chapter's population; the footnote gives the methods, the missing-data rule, the
    across-visit model `across` (its result_id) when given, and the source."""
    method = compare_binary_description(ch, ard, comparisons)
    notes = footnote(ch, method, across_note(ard, across) if across else "")
    return endpoint_table(ard, comparisons, measure, record_participants(ard, ch), notes)


def compare_binary_description(ch: Any, ard: Ard, comparisons: list[dict[str, str]]) -> str:
    """The methods sentence of an endpoint table: Wilson CIs, the Newcombe difference, the odds
    ratio's interval, Fisher's test and the edition's missing-data rule.

    When some odds ratio of the table has a 0 cell (recorded as not estimable,
    :data:`ldil2.stats.proportions.NOT_ESTIMABLE_OR`), the sentence says that such a ratio reads
    "not estimable" and that no continuity correction is added."""
    methods = [ard.row(ids["odds_ratio"], "estimate").method for ids in comparisons]
    zero_cell = any(m == f"{ODDS_RATIO_METHOD}{NOT_ESTIMABLE_OR}." for m in methods)
    interval = NOT_ESTIMABLE_OR if zero_cell else WOOLF
    return (
        "Percentages with Wilson score 95% CIs; difference (Ld-IL2 + MTX minus placebo + MTX) "
        "with the Newcombe hybrid score interval (method 10); odds ratio with the "
        f"{interval}; two-sided Fisher's exact test. {missing_rule(ch)}"
    )


def model_table(ch: Any, ard: Ard, ids: ModelIds, model: Any, measure: str) -> HtmlTable:
    """:func:`ldil2.present.endpoints.gee_table` of a recorded GEE with its caption (the
    chapter's population) and the model's description as footnote."""
    title = population_title(
        ard,
        f"{measure}: Ld-IL2 + MTX vs Placebo + MTX by visit and across visits",
        record_participants(ard, ch),
    )
    return gee_table(ard, ids, title, footnote(ch, model.description))


def index_change_table(
    ch: Any, ard: Ard, index: str, means: dict[tuple[str, int], str], ids: ModelIds, model: Any
) -> HtmlTable:
    """:func:`ldil2.present.endpoints.change_table` of `index` with its caption (unit and
    decimals from :data:`ldil2.present.labels.CHANGE_UNITS`) and footnote."""
    unit, digits = CHANGE_UNITS[index]
    title = population_title(
        ard,
        f"Change from baseline in {endpoint_label(index)} ({unit}) by visit",
        record_participants(ard, ch),
    )
    notes = footnote(
        ch,
        "Means with t-based 95% CIs of the observed changes (negative = improvement).",
        model.description,
    )
    return change_table(ard, means, ids, digits, title, notes)


def last_week_values(ard: Ard, ch: Any, endpoints: tuple[str, ...]) -> dict[str, str]:
    """Record each endpoint at week 24 and return ``<endpoint>_w24_<arm>_nN`` and the other
    :func:`ldil2.present.endpoints.comparison_values`."""
    values: dict[str, str] = {}
    for endpoint in endpoints:
        ids = binary(ard, ch, endpoint, c.LAST_WEEK)
        values.update(comparison_values(ard, ids, f"{endpoint}_w{c.LAST_WEEK}"))
    return values
