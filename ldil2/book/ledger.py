"""The Reproduction ledger chapter, the "Published results next to this book" table of the Primary
chapter and the landing page's ledger summary.

Every number of the published record (``Release.published``, data/published.csv) is recomputed
by the analysis the book reports it with, in the population the record states: the percentage
of responders (``proportion_wilson``), the P value of the across-visit model (``gee_logit`` for a
response, ``mixed_model`` for the change in an index) or the participant count. Those are the
same ARD rows the efficacy pages record; :func:`ldil2.results.ledger.record_comparison` reads
them and records the published number (``published``) and the comparison (``ledger``). The
tables and texts are rendered from those rows (:mod:`ldil2.present.ledger`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.book.common import Result, footnote, record_participants
from ldil2.book.efficacy import binary, binary_model, change_model
from ldil2.derive.analysis import INDICES, chg_col
from ldil2.pipeline.results import read_results
from ldil2.pipeline.toc import NEEDS_RESULTS
from ldil2.present.endpoints import population_title
from ldil2.present.labels import CHANGE_UNITS, endpoint_label
from ldil2.present.ledger import (
    caveat_text,
    differs_text,
    ledger_frame,
    published_frame,
    summary_text,
)
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard
from ldil2.results.efficacy import ODDS_RATIO
from ldil2.results.ledger import Entry, Source, record_comparison, record_summary
from ldil2.stats.ledger import (
    COUNT,
    P_VALUE,
    PERCENT,
    count_condition,
    count_participants,
    published_analysis,
)
from ldil2.stats.proportions import response_by_arm

CHAPTER = "ledger"

COUNT_LABELS: dict[str, str] = {c.COMPLETED: "Participants who completed week 24"}
"""ARD label of a count restricted to a subjects.csv flag (published.csv ``completed``)."""

# ---------------------------------------------------------------------------------------------
# The book's value of each published number, recorded as the efficacy pages record it
# ---------------------------------------------------------------------------------------------


def record_percent(ard: Ard, ch: Any, record: pd.Series) -> Source:
    """The percentage of responders of the record's arm at its week, observed cases in its
    population (:meth:`Ard.binary_comparison` of
    :func:`ldil2.stats.proportions.response_by_arm`)."""
    endpoint = str(record[c.PUB_ENDPOINT])
    comparison = response_by_arm(
        ch.analysis, endpoint, int(record[c.WEEK]), str(record[c.PUB_POPULATION])
    )
    ids = ard.binary_comparison(comparison, endpoint_label(endpoint))
    return ids[str(record[c.ARM])], "percent"


def record_p(ard: Ard, ch: Any, record: pd.Series) -> Source:
    """The P value of the across-visit analysis of the record's endpoint in its population
    (:func:`ldil2.stats.ledger.published_analysis`): the ``gee_logit`` odds ratio of a response,
    the ``mixed_model`` difference of the change in an index."""
    endpoint, population = str(record[c.PUB_ENDPOINT]), str(record[c.PUB_POPULATION])
    model = published_analysis(ch.analysis, endpoint, population)
    if endpoint in INDICES:
        change = chg_col(endpoint)
        rid = ard.effect(
            change,
            endpoint_label(change),
            "mixed_model",
            model,
            unit=CHANGE_UNITS[endpoint][0],
            population=population,
        )
    else:
        rid = ard.effect(
            endpoint, endpoint_label(endpoint), "gee_logit", model, unit=ODDS_RATIO,
            population=population,
        )  # fmt: skip
    return rid, "p"


def record_count(ard: Ard, ch: Any, record: pd.Series) -> Source:
    """The participants of the record's arm in its population (:func:`record_participants`),
    or, for a count restricted to a subjects.csv flag (``completed``), those of them with the
    flag (stat ``n``, of ``N`` in the population)."""
    endpoint, population = str(record[c.PUB_ENDPOINT]), str(record[c.PUB_POPULATION])
    arm = str(record[c.ARM])
    condition = count_condition(endpoint, str(record[c.PUB_KEY]))
    participants = record_participants(ard, ch, population)
    if condition is None:
        return participants[arm], "N"
    subjects = ch.release.subjects
    rid = ard.record(
        condition,
        COUNT_LABELS.get(condition, condition),
        "count",
        {
            "n": count_participants(subjects, population, arm, condition),
            "N": ard.get(participants[arm], "N"),
        },
        group=arm,
        population=population,
    )
    return rid, "n"


RECORDERS = {PERCENT: record_percent, P_VALUE: record_p, COUNT: record_count}
"""How the book's value of each kind of published number (published.csv ``statistic``) is
computed and recorded."""


def record_ledger(ard: Ard, ch: Any) -> list[Entry]:
    """Record every published number of ``ch.release.published``, in file order, next to the
    book's value (:data:`RECORDERS`, :func:`ldil2.results.ledger.record_comparison`).

    Raises
    ------
    ValueError : a row whose statistic the ledger cannot recompute (names its key)
    """
    entries = []
    for _, record in ch.release.published.iterrows():
        statistic = str(record[c.PUB_STATISTIC])
        if statistic not in RECORDERS:
            raise ValueError(
                f"published.csv key {record[c.PUB_KEY]}: statistic {statistic!r} violates one "
                f"of {sorted(RECORDERS)}"
            )
        entries.append(record_comparison(ard, record, RECORDERS[statistic](ard, ch, record)))
    return entries


def record_edition_value(ard: Ard, ch: Any, record: pd.Series) -> Source:
    """A published percentage or P value recomputed with this edition's population and
    imputation, as the Primary chapter records it (:mod:`ldil2.book.efficacy`): the percent of
    the row's arm and week, or the across-visit P value (GEE of a response, mixed model of the
    change in an index)."""
    endpoint = str(record[c.PUB_ENDPOINT])
    if record[c.PUB_STATISTIC] == PERCENT:
        return binary(ard, ch, endpoint, int(record[c.WEEK]))[str(record[c.ARM])], "percent"
    if endpoint in INDICES:
        return change_model(ard, ch, endpoint)[0].across, "p"
    return binary_model(ard, ch, endpoint)[0].across, "p"


# ---------------------------------------------------------------------------------------------
# The chapter cells
# ---------------------------------------------------------------------------------------------

LEDGER_NOTE = (
    "Percentages: observed cases at the visit. P-values: logistic GEE (ACR20) and linear mixed "
    "model of the change from baseline (CDAI, SDAI) across every post-baseline visit, the "
    "book's reading of the unstated published models. Counts: subjects.csv flags."
)


def ledger_result(ch: Any) -> Result:
    """Ledger chapter: glue values ``ledger_summary``, ``ledger_reproduced`` (exact agreement),
    ``ledger_consistent`` (within the tolerance only), ``ledger_total``, ``ledger_differs``,
    ``ledger_caveat`` (what the ledger checks) and the table ``ledger_table``."""
    ard = Ard(CHAPTER, ch.population)
    entries = record_ledger(ard, ch)
    summary = record_summary(ard, entries)
    table = HtmlTable.from_frame(
        ledger_frame(ard, entries),
        "Reproduction ledger: every number of the published record (data/published.csv) "
        "recomputed from the data release, in the population the record states",
        footnote=footnote(ch, LEDGER_NOTE, "Difference = recomputed minus published."),
    )
    return Result(
        values={
            "ledger_summary": summary_text(ard, summary, entries),
            "ledger_reproduced": int(ard.get(summary, "n")),
            "ledger_consistent": int(ard.get(summary, "consistent")),
            "ledger_total": int(ard.get(summary, "N")),
            "ledger_differs": differs_text(ard, entries),
            "ledger_caveat": caveat_text(ch.release.is_simulated),
        },
        tables={"ledger_table": table},
        ard=ard,
    )


PUBLISHED_NOTE = (
    "Percentages are compared at one decimal, counts exactly, p-values within the factor "
    "stated in published.csv. The published analyses were per-protocol; the models behind the "
    "p-values were not published (this book uses a logistic GEE for ACR20 and a mixed model for "
    "the CDAI and SDAI changes across all post-baseline visits)."
)


def published_vs_book(ch: Any) -> Result:
    """Primary chapter: every published number next to the value this book computes in the
    population the record states (the ledger, :func:`record_ledger`), and, for the percentages
    and P values, the value in this edition's population when it differs
    (:func:`record_edition_value`). Glue value ``published_summary``; table
    ``published_table``. ARD rows of chapter ``primary``."""
    ard = Ard("primary", ch.population)
    entries = record_ledger(ard, ch)
    summary = record_summary(ard, entries)
    edition = {
        str(record[c.PUB_KEY]): record_edition_value(ard, ch, record)
        for _, record in ch.release.published.iterrows()
        if ch.population != record[c.PUB_POPULATION] and record[c.PUB_STATISTIC] != COUNT
    }
    title = population_title(
        ard,
        "Published results and this book's values (published analyses)",
        record_participants(ard, ch, c.PER_PROTOCOL),
    )
    table = HtmlTable.from_frame(
        published_frame(ard, entries, edition, ch.population_label),
        title,
        footnote=footnote(ch, PUBLISHED_NOTE),
    )
    return Result(
        values={"published_summary": summary_text(ard, summary, entries)},
        tables={"published_table": table},
        ard=ard,
    )


def landing_summary(ch: Any) -> Result:
    """Landing page: glue values ``ledger_summary`` ('10 of 13 published numbers reproduced
    exactly, 3 consistent (within a factor of 2)'), from the ledger's rows (ARD rows of chapter
    ``index``), and ``ledger_caveat`` (what the ledger checks).

    In a build the page runs in the second phase: the rows and the summary are the Ledger
    chapter's, read from the first phase's results file (``ch.params["results"]``), so no
    model is fitted again; run alone (e.g. in JupyterLab), the ledger is recomputed here."""
    ard = Ard("index", ch.population)
    results = ch.params.get(NEEDS_RESULTS)
    if results:
        values, rows = read_results(Path(results))
        ard.extend(replace(row, chapter=ard.chapter) for row in rows if row.chapter == CHAPTER)
        summary = str(values[f"{CHAPTER}:ledger_summary"])
    else:
        entries = record_ledger(ard, ch)
        summary = summary_text(ard, record_summary(ard, entries), entries)
    return Result(
        values={
            "ledger_summary": summary,
            "ledger_caveat": caveat_text(ch.release.is_simulated),
        },
        ard=ard,
    )
