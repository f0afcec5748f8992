"""The key-results box of the landing page and of the top of the Primary chapter.

What the trial's data say, first: each primary endpoint at week 24 and across every
post-baseline visit, in the per-protocol population as published beside the intention-to-treat
population, the safety headline and one plain sentence of interpretation that is computed from
the rows (:func:`ldil2.present.key_results.interpretation`).

Each effect is recorded as the efficacy chapters record it (:mod:`ldil2.book.efficacy`), in
each population with its own rule for missing binary responses: observed cases per-protocol (the
published analysis), non-responder imputation in the intention-to-treat population (a withdrawal
counts as non-response). The changes in CDAI and SDAI come from the linear mixed model of every
observed visit in either population (valid when data are missing at random). The safety headline
is the Safety chapter's overview (:func:`ldil2.stats.safety.summarise_ae_overview`).

The Primary chapter fits the box's models; the landing page runs in the build's second phase
and reads their rows from Primary's (:func:`landing_key_results`), so each model is fitted once
per build.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ldil2 import contract as c
from ldil2.book.common import Result
from ldil2.book.efficacy import binary, binary_model, change_model
from ldil2.book.primary import CHAPTER as PRIMARY
from ldil2.derive.analysis import chg_col, remission_col
from ldil2.pipeline.results import read_results
from ldil2.pipeline.toc import NEEDS_RESULTS
from ldil2.present.key_results import (
    ACROSS,
    HIGHER,
    LOWER,
    WEEK24,
    KeyEndpoint,
    interpretation,
    key_results_box,
    safety_text,
)
from ldil2.present.labels import ACR20, CDAI, DAS28_ESR, SDAI, endpoint_label
from ldil2.present.safety import AE_CATEGORY_LABELS
from ldil2.results.ard import Ard, MissingResult
from ldil2.results.efficacy import GEE_ANALYSES, MIXED_ANALYSES
from ldil2.results.format import Row, imputed, result_id
from ldil2.results.safety import record_ae_overview
from ldil2.stats.safety import summarise_ae_overview

KEY_POPULATIONS: tuple[tuple[str, str], ...] = ((c.PER_PROTOCOL, "none"), (c.ITT, "nri"))
"""(population, rule for missing binary responses) of the box's two columns: the published
per-protocol analysis of observed cases, and every randomized participant with non-responder
imputation."""

SAFETY_KINDS: tuple[str, ...] = ("any", c.AE_SERIOUS, "withdrawal")
"""The kinds of adverse event of the safety headline
(:data:`ldil2.derive.safety.AE_CATEGORIES`)."""

PROPORTION_MEASURE = {WEEK24: "difference in responders, percentage points", ACROSS: "odds ratio"}
CHANGE_MEASURE = {WEEK24: "difference in mean change, points", ACROSS: "difference, points"}


def in_population(ch: Any, population: str, imputation: str) -> Any:
    """The chapter `ch` with another analysis population and missing-data rule: the same release
    and analysis table (the population selects rows of it; nothing is recomputed)."""
    view = dataclasses.replace(
        ch, params={**ch.params, "population": population, "imputation": imputation}
    )
    view.analysis = ch.analysis  # the cached analysis table, shared
    return view


Views = dict[str, tuple[Ard, Any]]
"""population -> (the ARD of that population's rows, the chapter in that population)."""

Recorded = list[Row] | None
"""The ARD rows of the chapter that fitted the box's models (the Primary chapter's, which the
landing page reads from the first phase's results), or None: fit them here."""


def copy_model(
    ard: Ard, recorded: Iterable[Row], endpoint: str, population: str, analyses: Iterable[str]
) -> None:
    """Add to `ard` (under its chapter) every row of `recorded` of `endpoint` in `population`
    whose analysis is one of `analyses`: the rows of one recorded model.

    Raises
    ------
    MissingResult : `recorded` holds no such row (names the endpoint, population and analyses)
    """
    wanted = list(analyses)
    rows = [
        dataclasses.replace(row, chapter=ard.chapter)
        for row in recorded
        if row.endpoint == endpoint and row.population == population and row.analysis in wanted
    ]
    if not rows:
        raise MissingResult(
            f"ARD of {ard.chapter}: the recorded rows hold no {endpoint} {wanted} of the "
            f"{population} population"
        )
    ard.extend(rows)


def across_odds_ratio(ard: Ard, view: Any, endpoint: str, recorded: Recorded) -> str:
    """The result_id of the across-visit odds ratio of the logistic GEE of `endpoint` in the
    view's population and missing-data rule: fitted and recorded
    (:func:`ldil2.book.efficacy.binary_model`), or every row of that GEE copied from
    `recorded`."""
    if recorded is None:
        return binary_model(ard, view, endpoint)[0].across
    rule = view.params["imputation"]
    analyses = [imputed(analysis, rule) for analysis in GEE_ANALYSES]
    copy_model(ard, recorded, endpoint, view.population, analyses)
    return result_id(endpoint, None, view.population, "difference", imputed(GEE_ANALYSES[0], rule))


def change_effects(ard: Ard, view: Any, index: str, recorded: Recorded) -> dict[str, str]:
    """Time frame -> result_id of the mixed model of the change in `index` in the view's
    population: the difference across visits and, when the model has week 24, the contrast
    there; fitted and recorded (:func:`ldil2.book.efficacy.change_model`), or every row of
    that model copied from `recorded`."""
    if recorded is None:
        ids = change_model(ard, view, index)[0]
        effects = {ACROSS: ids.across}
        if c.LAST_WEEK in ids.visits:
            effects[WEEK24] = ids.visits[c.LAST_WEEK]
        return effects
    change = chg_col(index)
    copy_model(ard, recorded, change, view.population, MIXED_ANALYSES)
    frames = {ACROSS: None, WEEK24: c.LAST_WEEK}
    ids = {
        frame: result_id(change, week, view.population, "difference", MIXED_ANALYSES[0])
        for frame, week in frames.items()
    }
    return {frame: rid for frame, rid in ids.items() if ard.result(rid)}


def record_binary(views: Views, endpoint: str, recorded: Recorded = None) -> KeyEndpoint:
    """A binary primary endpoint in each population: the Newcombe difference at week 24
    (:func:`ldil2.book.efficacy.binary`) and the odds ratio of the logistic GEE across visits
    (:func:`across_odds_ratio`)."""
    effects = {
        population: {
            WEEK24: binary(ard, view, endpoint, c.LAST_WEEK)["difference"],
            ACROSS: across_odds_ratio(ard, view, endpoint, recorded),
        }
        for population, (ard, view) in views.items()
    }
    return KeyEndpoint(
        endpoint_label(endpoint), PROPORTION_MEASURE, HIGHER, effects,
        nulls={WEEK24: 0.0, ACROSS: 1.0}, digits={WEEK24: 1, ACROSS: 2},
    )  # fmt: skip


def record_change(views: Views, index: str, recorded: Recorded = None) -> KeyEndpoint:
    """The change from baseline in an index in each population: the mixed model's contrast at
    week 24 and its difference across visits (:func:`change_effects`); negative values favour
    Ld-IL2 + MTX."""
    effects = {
        population: change_effects(ard, view, index, recorded)
        for population, (ard, view) in views.items()
    }
    return KeyEndpoint(
        f"{endpoint_label(index)} change", CHANGE_MEASURE, LOWER, effects,
        nulls={WEEK24: 0.0, ACROSS: 0.0}, digits={WEEK24: 1, ACROSS: 1},
    )  # fmt: skip


def record_safety(ard: Ard, ch: Any) -> str:
    """The safety headline: participants with any, a serious and a withdrawal-causing adverse
    event per arm, safety population (the Safety chapter's overview rows)."""
    overview = summarise_ae_overview(ch.release.subjects, ch.release.adverse_events)
    ids = record_ae_overview(ard, overview, AE_CATEGORY_LABELS)
    return safety_text(ard, {kind: ids[kind] for kind in SAFETY_KINDS}, AE_CATEGORY_LABELS)


def data_line(release: Any) -> str:
    """The one line that says what the data are: simulated (with the release) or the trial's."""
    if release.is_simulated:
        return (
            f"Simulated data (release {release.version}): these are not the trial's results; "
            "the numbers show what the analysis gives on a release drawn to match the published "
            "record."
        )
    return f"Trial data, release {release.version}."


def key_results(ch: Any, chapter: str, recorded: Recorded = None) -> Result:
    """The key-results box: glue values ``key_sentence`` (the interpretation) and
    ``key_data_line``; table ``key_results_box``. ARD rows of `chapter` (``index`` or
    ``primary``), whatever the edition's population; the models' rows copied from `recorded`
    when given (:data:`Recorded`), else fitted."""
    views: Views = {
        population: (Ard(chapter, population), in_population(ch, population, imputation))
        for population, imputation in KEY_POPULATIONS
    }  # one ARD per population: the efficacy recorders take the population from the ARD
    endpoints = [
        record_binary(views, ACR20, recorded),
        record_binary(views, remission_col(DAS28_ESR), recorded),
        record_change(views, CDAI, recorded),
        record_change(views, SDAI, recorded),
    ]
    ard = Ard(chapter, ch.population)
    for part, _ in views.values():
        ard.extend(part.rows())
    populations = list(views)
    sentence = interpretation(ard, endpoints, populations)
    line = data_line(ch.release)
    box = key_results_box(ard, endpoints, populations, record_safety(ard, ch), sentence, line)
    return Result(
        values={"key_sentence": sentence, "key_data_line": line},
        tables={"key_results_box": box},
        ard=ard,
    )


def landing_key_results(ch: Any) -> Result:
    """The landing page's key-results box (:func:`key_results`, ARD rows of chapter ``index``).

    In a build the page runs in the second phase: the models' rows are the Primary chapter's,
    read from the first phase's results file (``ch.params["results"]``,
    :func:`ldil2.pipeline.results.read_results`), so no model is fitted again; run alone (e.g.
    in JupyterLab), the models are fitted here."""
    results = ch.params.get(NEEDS_RESULTS)
    recorded = None
    if results:
        _, rows = read_results(Path(results))
        recorded = [row for row in rows if row.chapter == PRIMARY]
    return key_results(ch, "index", recorded)
