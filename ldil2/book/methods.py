"""The Methods chapter: design, schedule, eligibility, populations, models, missing data, the
edition's parameters and the assumptions of a simulated release.

The outcome definitions (read from the docstrings of the derivations) are
:mod:`ldil2.book.definitions`. Every count of this page (participants, visits, doses, missing
values) is an ARD row first; the glued texts and table cells are rendered from the rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.book.common import Result, caption, footnote, in_population, record_participants
from ldil2.book.efficacy import (
    missing_rule,
)
from ldil2.book.ledger import record_count, record_ledger
from ldil2.derive.populations import population_counts, scheduled_weeks
from ldil2.present import notes
from ldil2.present.consort import plot_schedule
from ldil2.present.labels import endpoint_label
from ldil2.present.ledger import record_number, status_text
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard
from ldil2.results.format import ANALYSES
from ldil2.results.ledger import Entry, record_comparison
from ldil2.simulate.scenario import assumptions_table

CHAPTER = "methods"

# ---------------------------------------------------------------------------------------------
# Design and eligibility, as published
# ---------------------------------------------------------------------------------------------

PUBLISHED_DESIGN: tuple[tuple[str, str, str], ...] = (
    (
        "Design",
        "Randomized 1:1, double-blind, placebo-controlled, phase 2, single centre (Peking "
        "University People's Hospital, Beijing)",
        "abstract; registry",
    ),
    ("Registration", "NCT02467504, registered 2015-06-04 (prospectively)", "registry"),
    ("Recruitment and follow-up", "First enrolment 2015-07-01; completion 2017-08-31", "registry"),
    (
        "Intervention",
        "Recombinant human IL-2, 1 million IU subcutaneously every other day for 2 weeks "
        "(7 doses), then a 2-week break; 3 cycles (weeks 0-12)",
        "abstract; registry",
    ),
    ("Control", "Matching placebo on the same schedule", "registry"),
    ("Background therapy", "Stable dose of methotrexate in all patients", "abstract"),
    ("Follow-up", "12 weeks of treatment, then 12 weeks of follow-up (to week 24)", "abstract"),
    (
        "Primary outcomes",
        "ACR20 response; DAS28-ESR < 2.6; change from baseline in CDAI or SDAI; at week 24",
        "abstract",
    ),
    ("Secondary outcomes", "Other clinical responses and safety", "abstract"),
)
"""The published design facts (../shared/reference/published-record.md, section 1). The published
sizes of the analysis set are numbers of the record: they come from ``published.csv``."""

ELIGIBILITY: dict[str, str] = {
    "eligibility_age": "18 to 70 years",
    "eligibility_das28": "3.2",
    "eligibility_stable_months": "3",
}
"""Inclusion criteria as registered (ClinicalTrials.gov NCT02467504): text of the registry."""

ANALYSED = "analysed"
"""The published.csv endpoint of the published size of the analysis set."""


def design_table(ch: Any) -> Result:
    """Table ``design_table``: each published design fact with its source, and the matching count
    of this data release where there is one (randomized and per-protocol n per arm)."""
    ard = Ard(CHAPTER, ch.population)
    randomized = record_participants(ard, ch, c.ITT)
    per_protocol = record_participants(ard, ch, c.PER_PROTOCOL)
    record = ch.release.published
    published = {
        str(row[c.ARM]): record_comparison(ard, row, record_count(ard, ch, row))
        for _, row in record[record[c.PUB_ENDPOINT] == ANALYSED].iterrows()
    }  # the ledger's rows of the published analysis set

    def per_arm(ids: Mapping[str, str]) -> str:
        return " vs ".join(f"{ard.get(ids[arm], 'N'):g}" for arm in c.ARMS)

    in_release = {
        "Design": f"Randomized: {per_arm(randomized)} ({' vs '.join(c.ARM_LABELS.values())})",
        "Analysis population as published": f"Per-protocol: {per_arm(per_protocol)}",
    }
    as_published = " vs ".join(
        record_number(ard.get(*published[arm].published), published[arm].statistic)
        for arm in c.ARMS
    )
    sources = "; ".join(sorted({entry.source for entry in published.values()}))
    rows = [
        *PUBLISHED_DESIGN,
        ("Analysis population as published", f"Per-protocol: {as_published}", sources),
    ]
    frame = pd.DataFrame(rows, columns=["Item", "Published", "Source"])
    frame["This release"] = frame["Item"].map(in_release).fillna("")
    note = footnote(
        ch, "Published facts: trial report abstract (Signal Transduct Target Ther 2022;7:67) "
        "and the ClinicalTrials.gov record NCT02467504.",
    )  # fmt: skip
    table = HtmlTable.from_frame(frame, "Trial design as published", note)
    return Result(tables={"design_table": table}, ard=ard)


# ---------------------------------------------------------------------------------------------
# Intervention and visit schedule
# ---------------------------------------------------------------------------------------------

SCHEDULE = "visit_schedule"
"""The ARD endpoint of a scheduled assessment visit (one row per visit, its week)."""


def dosing_days(exposure: pd.DataFrame) -> dict[int, list[int]]:
    """Planned injection study days per cycle (:func:`ldil2.contract.dosing_days`: study day 1 =
    first dose), with the number of doses of each cycle = the largest doses_planned in
    exposure.csv, or DOSES_PER_CYCLE when exposure was not read."""
    planned = exposure.groupby(c.CYCLE)[c.DOSES_PLANNED].max() if len(exposure) else {}
    return c.dosing_days({int(cycle): int(n) for cycle, n in planned.items()})


def visit_weeks(ch: Any) -> tuple[int, ...]:
    """The scheduled assessment visits: the baseline visit, then
    :func:`ldil2.derive.populations.scheduled_weeks`."""
    return (c.BASELINE_WEEK, *scheduled_weeks(ch.release, ch.analysis))


def record_schedule(ard: Ard, ch: Any) -> dict[str, Any]:
    """Record the dosing schedule and the visits (analysis ``edition``): the number of cycles,
    the planned injections of each cycle (:func:`dosing_days`), the weeks of treatment and one
    row per scheduled visit (endpoint :data:`SCHEDULE`, its week; count 1).

    Returns
    -------
    dict : ``cycles``, ``doses`` (cycle -> id), ``treatment`` and ``visits`` (week -> id)
    """

    def fact(endpoint: str, label: str, count: int, unit: str, week: int | None = None) -> str:
        return ard.record(endpoint, label, "edition", {"count": count}, week=week, unit=unit)

    days = dosing_days(ch.release.exposure)
    return {
        "cycles": fact("dosing_cycles", "Dosing cycles", len(days), "cycles"),
        "doses": {
            cycle: fact(
                f"planned_doses_cycle{cycle}",
                f"Planned injections of cycle {cycle}",
                len(cycle_days),
                "injections",
            )
            for cycle, cycle_days in days.items()
        },  # fmt: skip
        "treatment": fact(
            "treatment_period", "Weeks of treatment", c.END_OF_TREATMENT_WEEK, "weeks"
        ),
        "visits": {
            week: fact(SCHEDULE, "Scheduled assessment visit", 1, "visit", week)
            for week in visit_weeks(ch)
        },
    }


def schedule_timeline(ch: Any) -> Result:
    """The dosing cycles and the visit schedule: glue values ``schedule_cycles``,
    ``schedule_doses_per_cycle``, ``schedule_treatment_weeks``, ``schedule_visits`` and figure
    ``timeline_fig``, rendered from the rows of :func:`record_schedule`."""
    ard = Ard(CHAPTER, ch.population)
    ids = record_schedule(ard, ch)
    doses = {cycle: int(ard.get(rid, "count")) for cycle, rid in ids["doses"].items()}
    weeks = [ard.row(rid, "count").week for rid in ids["visits"].values()]
    return Result(
        values={
            "schedule_cycles": int(ard.get(ids["cycles"], "count")),
            "schedule_doses_per_cycle": " or ".join(str(n) for n in sorted(set(doses.values()))),
            "schedule_treatment_weeks": int(ard.get(ids["treatment"], "count")),
            "schedule_visits": ", ".join(str(w) for w in weeks),
        },
        figures={"timeline_fig": plot_schedule(c.dosing_days(doses), weeks)},
        ard=ard,
    )


def eligibility(ch: Any) -> Result:
    """The registered inclusion criteria (:data:`ELIGIBILITY`) and the observed ranges of age and
    baseline DAS28-ESR among all randomized participants of the release (``min_max`` rows)."""
    ard = Ard(CHAPTER, ch.population)
    ages = ch.release.subjects[c.AGE].astype(float)
    table = ch.analysis
    das28 = table.loc[table[c.WEEK] == c.BASELINE_WEEK, "das28_esr"].dropna()
    age = ard.record(c.AGE, "Age, years", "min_max", {"min": ages.min(), "max": ages.max()},
                     population=c.ITT, unit="years")  # fmt: skip
    index = ard.record(
        "das28_esr", endpoint_label("das28_esr"), "min_max",
        {"min": das28.min(), "max": das28.max()}, week=c.BASELINE_WEEK, population=c.ITT,
    )  # fmt: skip
    a, d = ard.result(age), ard.result(index)
    return Result(
        values={
            **ELIGIBILITY,
            "eligibility_age_observed": f"{a['min']:.0f} to {a['max']:.0f} years",
            "eligibility_das28_observed": f"{d['min']:.2f} to {d['max']:.2f}",
        },
        ard=ard,
    )


# ---------------------------------------------------------------------------------------------
# Populations, models, missing data
# ---------------------------------------------------------------------------------------------

POPULATION_DEFINITIONS: dict[str, str] = {
    c.PER_PROTOCOL: "Completed week 24 (the published analysis set); analyzed as randomized",
    c.ITT: "Every randomized participant, analyzed in the arm assigned at randomization",
    c.SAFETY: "Every participant who received at least one dose, analyzed as treated",
}


def population_table(ch: Any) -> Result:
    """Table ``population_table``: each analysis population, its definition and n per arm (the
    participants rows of :func:`ldil2.book.common.record_participants`)."""
    ard = Ard(CHAPTER, ch.population)
    rows = []
    for population in c.POPULATIONS:
        ids = record_participants(ard, ch, population)
        rows.append(
            {
                "Population": c.POPULATION_LABELS[population].capitalize(),
                "Definition": POPULATION_DEFINITIONS[population],
                **{c.ARM_LABELS[arm]: str(int(ard.get(ids[arm], "N"))) for arm in c.ARMS},
                "Analyzed in this edition": "yes" if population == ch.population else "",
            }
        )
    title = caption(ch, ard, "Analysis populations", population=c.ITT)
    note = footnote(ch, "Population flags as recorded in subjects.csv.")
    table = HtmlTable.from_frame(pd.DataFrame(rows), title, note)
    return Result(tables={"population_table": table}, ard=ard)


ACR20 = "acr20"
"""The primary binary endpoint: its models are described, its visits counted."""


MODEL_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Binary endpoint at one visit", "ACR20/50/70, remission, low disease activity, EULAR, "
     "HAQ-DI improvement", "proportion_wilson"),
    ("", "", "difference_newcombe"),
    ("", "", "or_woolf"),
    ("", "", "fisher"),
    ("Binary endpoint across visits", "ACR20 (primary)", "gee_logit"),
    ("Change from baseline across visits", "CDAI and SDAI (primary); DAS28-CRP, HAQ-DI",
     "mixed_model"),
    ("Mean change at one visit", "Every change from baseline by arm and visit", "mean_t"),
    ("Change at week 24, adjusted for baseline", "CDAI and SDAI (sensitivity)", "ancova"),
    ("Missing binary responses", "Intention-to-treat analyses", "nri"),
    ("Missing changes", "Intention-to-treat analyses of CDAI and SDAI", "mi_ancova"),
    ("Robustness to missing data", "CDAI and SDAI", "tipping_point"),
    ("Baseline biomarkers and response", "Treg, IL-21 and other markers", "logistic_per_sd"),
    ("", "", "roc_delong"),
    ("", "", "mann_whitney"),
)  # fmt: skip
"""(analysis, what it is used for, the analysis id whose method sentence describes it)."""


def model_descriptions(ch: Any) -> Result:
    """Table ``models_table``: every statistical method of the book, what it is used for and
    its description (the method sentence of its analysis id, :data:`ldil2.results.format.ANALYSES`,
    the sentence every ARD row of that analysis carries). Method text only: no ARD rows."""
    frame = pd.DataFrame(
        [(name, used, ANALYSES[analysis].method) for name, used, analysis in MODEL_ROWS],
        columns=["Analysis", "Used for", "Method"],
    )
    note = footnote(ch, "Each table's footnote names the method of its numbers; two-sided tests "
                    "at the 5% level, 95% confidence intervals throughout.")  # fmt: skip
    table = HtmlTable.from_frame(frame, "Statistical methods", note)
    return Result(tables={"models_table": table})


def visit_completeness(ch: Any, endpoint: str = ACR20) -> pd.DataFrame:
    """Participants of the population with a value of `endpoint` at each scheduled post-baseline
    visit, by arm: columns week, arm, observed, expected (= participants in the population)."""
    table = in_population(ch)
    expected = population_counts(ch.release.subjects, ch.population)
    rows = []
    for week in scheduled_weeks(ch.release, ch.analysis):
        at_week = table[(table[c.WEEK] == week) & table[endpoint].notna()]
        for arm in c.ARMS:
            observed = int((at_week[c.ARM] == arm).sum())
            rows.append({c.WEEK: week, c.ARM: arm, "observed": observed, "expected": expected[arm]})
    return pd.DataFrame(rows, columns=[c.WEEK, c.ARM, "observed", "expected"])


def record_completeness(
    ard: Ard, ch: Any, endpoint: str = ACR20
) -> tuple[dict[tuple[int, str], str], str]:
    """Record :func:`visit_completeness` (analysis ``visit_completeness``): per visit and arm
    n observed of N expected, and across visits the scheduled values (``count``) and how many
    are missing (``missing``).

    Returns
    -------
    (week, arm) -> result_id, and the result_id across visits
    """
    completeness = visit_completeness(ch, endpoint)
    label = endpoint_label(endpoint)
    ids = {
        (int(r[c.WEEK]), str(r[c.ARM])): ard.record(
            endpoint, label, "visit_completeness", {"n": r["observed"], "N": r["expected"]},
            week=int(r[c.WEEK]), group=str(r[c.ARM]),
        )
        for _, r in completeness.iterrows()
    }  # fmt: skip
    total = int(completeness["expected"].sum())
    missing = total - int(completeness["observed"].sum())
    across = ard.record(
        endpoint, label, "visit_completeness", {"count": total, "missing": missing},
        unit="scheduled post-baseline values",
    )  # fmt: skip
    return ids, across


def missing_data(ch: Any) -> Result:
    """The missing-data rule of this edition and table ``missing_table``: ACR20 observed out of
    expected at each scheduled visit by arm (:func:`record_completeness`). Glue values
    ``missing_rule`` and ``missing_visits_text``."""
    ard = Ard(CHAPTER, ch.population)
    ids, across = record_completeness(ard, ch)
    record_participants(ard, ch)
    weeks = sorted({week for week, _ in ids})
    label = endpoint_label(ACR20)
    frame = pd.DataFrame(
        {"Week": [str(w) for w in weeks]}
        | {
            f"{c.ARM_LABELS[arm]}: {label} observed / expected": [
                f"{int(ard.get(ids[(w, arm)], 'n'))}/{int(ard.get(ids[(w, arm)], 'N'))}"
                for w in weeks
            ]
            for arm in c.ARMS
        }
    )
    rule = (
        f"{missing_rule(ch)} Continuous changes are analyzed with mixed models that use every "
        "observed visit of every participant (valid if data are missing at random)."
    )
    title = caption(ch, ard, f"Participants with an {label} value at each scheduled visit")
    note = footnote(ch, "Expected = participants in the population; a visit is missing when it "
                    "was not attended, the participant had withdrawn or a core-set joint count "
                    "was not recorded.")  # fmt: skip
    text = (
        f"In the {ch.population_label}, {int(ard.get(across, 'missing'))} of "
        f"{int(ard.get(across, 'count'))} scheduled post-baseline {label} values are missing."
    )
    return Result(
        values={"missing_rule": rule, "missing_visits_text": text},
        tables={"missing_table": HtmlTable.from_frame(frame, title, note)},
        ard=ard,
    )


# ---------------------------------------------------------------------------------------------
# The edition's parameters
# ---------------------------------------------------------------------------------------------


def edition_parameters(ch: Any) -> Result:
    """Table ``parameters_table``: every parameter this edition was built with (inputs of the
    build, not results: no ARD rows)."""
    rows = [
        {
            "Parameter": name,
            "Value": ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value),
        }
        for name, value in sorted(ch.params.items())
    ]
    note = footnote(
        ch, "parameters.yml plus command-line overrides; 'tables' lists the data files this "
        "chapter declared that it reads.",
    )  # fmt: skip
    table = HtmlTable.from_frame(pd.DataFrame(rows), "Parameters of this edition", note)
    return Result(tables={"parameters_table": table})


# ---------------------------------------------------------------------------------------------
# The assumptions of a simulated release
# ---------------------------------------------------------------------------------------------


UNIT_WORDS: tuple[tuple[str, str], ...] = (
    ("_10e9_l", " (10⁹/L)"), ("_umol_l", " (µmol/L)"), ("_g_l", " (g/L)"), ("_u_l", " (U/L)"),
    ("_mg_l", " (mg/L)"), ("_mm_h", " (mm/h)"), ("_pg_ml", " (pg/mL)"),
    ("_per_ul", " (per µL)"), ("_pct_cd4", " (% of CD4+)"), ("_mg_week", " (mg/week)"),
    ("_mm", " (mm)"), ("_years", " (years)"), ("_weeks", " (weeks)"), ("log_sd", "log SD"),
    ("tjc28", "TJC28"), ("sjc28", "SJC28"), ("haq_di", "HAQ-DI"), ("das28_esr", "DAS28-ESR"),
    ("ptga", "PtGA"), ("phga", "PhGA"), ("ldil2", "Ld-IL2"), ("treg", "Treg"), ("il21", "IL-21"),
    ("rf", "RF"), ("acpa", "ACPA"), ("cd4", "CD4"), ("th17", "Th17"), ("il6", "IL-6"),
    ("il17a", "IL-17A"), ("crp", "CRP"), ("esr", "ESR"), ("wbc", "WBC"), ("sd", "SD"),
    ("mtx", "MTX"), ("alt", "ALT"), ("ast", "AST"),
)  # fmt: skip
"""Names of the scenario file as words: unit suffixes, measure names, then '_' as a space."""


def readable(text: str) -> str:
    """A scenario name (or a value naming keys) in words: 'baseline_crp_mg_l' -> 'Baseline CRP
    (mg/L)', 'median: 6; log_sd: 0.8' -> 'median: 6; log SD: 0.8'."""
    for code, words in UNIT_WORDS:
        before = "" if code.startswith("_") else "(?<![A-Za-z])"
        text = re.sub(rf"{before}{re.escape(code)}(?![a-z])", words, text)
    return text.replace("_", " ")


def capitalized(text: str) -> str:
    """The first letter upper case, the rest as it is ('log SD' stays 'log SD' inside)."""
    return text[:1].upper() + text[1:]


def readable_assumptions(frame: pd.DataFrame) -> pd.DataFrame:
    """The assumptions table for the page: columns Assumption, Value, Why (names and value keys
    in words, :func:`readable`)."""
    return pd.DataFrame(
        {
            "Assumption": frame["name"].map(lambda name: capitalized(readable(name))),
            "Value": frame["value"].map(readable),
            "Why": frame["justification"],
        }
    )


def book_value(ard: Ard, entry: Entry) -> str:
    """The book's value of a published number as the record prints it, from its ledger row
    ('76.5%', '17', '0.015'; 'not computable' when NaN)."""
    return record_number(ard.get(entry.ledger, "estimate"), entry.statistic, "not computable")


def simulation_assumptions(ch: Any) -> Result:
    """The assumptions of the simulated release next to the published facts it was calibrated to.

    Table ``assumptions_table``: :func:`ldil2.simulate.scenario.assumptions_table` of the
    release's own scenario copy (metadata ``scenario``; inputs, not results). Table
    ``calibration_table``: every published number (the simulator's calibration targets) with its
    value in this release and whether it is reproduced, from the ledger's ARD rows
    (:func:`ldil2.book.ledger.record_ledger`). For a trial release both say that nothing was
    simulated. Glue value ``assumptions_intro``.
    """
    if not ch.release.is_simulated:
        nothing = pd.DataFrame({"Note": ["This release holds trial data: nothing is simulated."]})
        source = notes.source_note(ch.release)
        intro = "This data release holds trial data; no simulation assumption applies."
        return Result(
            values={"assumptions_intro": intro},
            tables={
                name: HtmlTable.from_frame(nothing, title, source)
                for name, title in (
                    ("assumptions_table", "Simulation assumptions"),
                    ("calibration_table", "Calibration targets"),
                )
            },
        )
    scenario = str(ch.release.metadata[c.META_SCENARIO])
    assumptions = readable_assumptions(assumptions_table(ch.release.data_dir / scenario))
    ard = Ard(CHAPTER, ch.population)
    calibration = pd.DataFrame(
        [
            {
                "Published fact": entry.statement,
                "Source": entry.source,
                "This release": f"{book_value(ard, entry)}: {status_text(ard, entry)}",
            }
            for entry in record_ledger(ard, ch)
        ]
    )
    seed = ch.release.metadata.get(c.META_SEED, "")
    intro = (
        f"The release was drawn by the simulator from the scenario file with seed {seed}. Every "
        "fact the trial did not publish is an assumption, listed with its value and the reason "
        "for it; the second table shows the published facts the release was calibrated to and "
        "the value each takes in this release."
    )
    note = footnote(ch, f"Scenario file: {scenario} (copied into the release).")
    return Result(
        values={"assumptions_intro": intro},
        tables={
            "assumptions_table": HtmlTable.from_frame(
                assumptions, "Assumptions of the simulated release", note
            ),
            "calibration_table": HtmlTable.from_frame(
                calibration, "Published facts the release was calibrated to", note
            ),
        },
        ard=ard,
    )
