"""What every chapter module returns: a :class:`Result` (glue values, tables, figures and the
ARD rows they were rendered from), and :func:`glue_result`, the one call that puts it on a page.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.book.outputs import rtf_files
from ldil2.derive.populations import population_counts, select_population
from ldil2.present import notes
from ldil2.results import format as ard_format
from ldil2.results.ard import Ard

GlueValue = str | int | float


@dataclass(frozen=True)
class Result:
    """What one chapter cell produces, keyed by glue name.

    Attributes
    ----------
    values : plain Python values (str, int, float) for ``{glue:text}`` roles, rendered from `ard`
    tables : HTML table objects (``_repr_html_``) for ``{glue:any}`` directives
    figures : matplotlib figures for ``{glue:figure}`` directives
    ard : the ARD rows every number above was rendered from (None: the cell shows no number)
    """

    values: Mapping[str, GlueValue] = field(default_factory=dict)
    tables: Mapping[str, Any] = field(default_factory=dict)
    figures: Mapping[str, Figure] = field(default_factory=dict)
    ard: Ard | None = None

    def __post_init__(self) -> None:
        for name, value in self.values.items():
            if type(value) not in (str, int, float):
                raise TypeError(
                    f"glue value {name!r}: {type(value).__name__} is not a plain str, int or float"
                )
        names = [*self.values, *self.tables, *self.figures]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"glue names used twice in one result: {duplicated}")
        reserved = [n for n in names if ard_format.is_ard_glue(n)]
        if reserved:
            raise ValueError(f"glue names {reserved} use the reserved ARD prefix")


_ARD_GLUES = itertools.count(1)


def glue_result(result: Result) -> None:
    """Glue every value, table and figure of `result` under its name, without displaying it,
    and its ARD rows as JSON under the next reserved name (``ldil2_ard_<k>``), which the build
    collects into ``<out>/results/ard.csv``."""
    from myst_nb import glue  # the kernel only: importing myst_nb loads Sphinx

    for name, item in {**result.values, **result.tables, **result.figures}.items():
        glue(name, item, display=False)
    for name, text in rtf_files(result.tables).items():  # the TLF appendix's RTF of each table
        glue(name, text, display=False)
    if result.ard is not None and len(result.ard):
        name = f"{ard_format.ARD_GLUE_PREFIX}{next(_ARD_GLUES)}"
        glue(name, ard_format.to_json(result.ard.rows()), display=False)


# ---------------------------------------------------------------------------------------------
# Pieces every chapter module uses: the population, captions, footnotes, the edition's facts
# ---------------------------------------------------------------------------------------------

PARTICIPANTS = "participants"
"""The ARD endpoint of the number of participants per arm in a population."""


def in_population(ch: Any) -> pd.DataFrame:
    """The analysis table restricted to the chapter's population."""
    return select_population(ch.analysis, ch.population)


def caption(ch: Any, ard: Ard, measure: str, population: str | None = None) -> str:
    """Table caption: measure and time point, population and n per arm
    (:func:`ldil2.present.notes.population_caption`), the n per arm recorded in `ard` as the
    participants rows (:func:`record_participants`) and read back from them; `population`
    defaults to the chapter's."""
    population = ch.population if population is None else population
    ids = record_participants(ard, ch, population)
    counts = {arm: int(ard.get(ids[arm], "N")) for arm in c.ARMS}
    return notes.population_caption(measure, population, counts)


def footnote(ch: Any, *parts: str) -> tuple[str, ...]:
    """Table footnote paragraphs: the given parts (model, CI method, missing-data rule), then the
    data source and release version (:func:`ldil2.present.notes.footnote`)."""
    return notes.footnote(ch.release, *parts)


def record_participants(ard: Ard, ch: Any, population: str | None = None) -> dict[str, str]:
    """Record the participants per arm of the population (stat ``N``, analysis ``count``) and
    return arm -> result_id."""
    population = ch.population if population is None else population
    counts = population_counts(ch.release.subjects, population)
    label = f"Participants in the {c.POPULATION_LABELS[population]}"
    return {
        arm: ard.record(
            PARTICIPANTS, label, "count", {"N": counts[arm]}, group=arm, population=population
        )
        for arm in c.ARMS
    }


def edition_facts(ch: Any, chapter: str) -> Result:
    """Glue values every chapter uses: ``release_version``, ``release_provenance``,
    ``population_label``, ``arm_<arm>_label``, ``n_<arm>`` (participants in the population, an
    ARD row of `chapter`), ``simulated_notice`` (empty for trial data) and ``figure_source``
    (for figure captions)."""
    ard = Ard(chapter, ch.population)
    ids = record_participants(ard, ch)
    return Result(
        values={
            "release_version": ch.release.version,
            "release_provenance": ch.release.provenance,
            "population_label": ch.population_label,
            **{f"arm_{arm}_label": c.ARM_LABELS[arm] for arm in c.ARMS},
            **{f"n_{arm}": int(ard.get(ids[arm], "N")) for arm in c.ARMS},
            "simulated_notice": notes.SIMULATED_NOTICE if ch.release.is_simulated else "",
            "figure_source": notes.source_note(ch.release),
        },
        ard=ard,
    )


def record_setting(ard: Ard, endpoint: str, label: str, stat: str, value: float, unit: str) -> str:
    """Record a number of the protocol or analysis plan that a page shows (analysis ``edition``:
    the dosing cycles, the doses per cycle, a threshold, a power), so that it is a row of the
    results dataset like every other number; returns its result_id."""
    return ard.record(endpoint, label, "edition", {stat: value}, unit=unit)
