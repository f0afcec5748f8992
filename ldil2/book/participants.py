"""The Participants chapter: participant flow (CONSORT diagram), withdrawals, baseline
characteristics and exposure to study drug.

Every count and summary statistic is recorded as an ARD row first; the glued values, the
tables and the diagram are rendered from those rows (:mod:`ldil2.present.consort`,
:mod:`ldil2.present.baseline`).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.book.common import Result, caption, footnote, record_participants
from ldil2.derive.analysis import INDICES
from ldil2.derive.populations import (
    flag_true,
    population_counts,
    select_population,
    subjects_per_arm,
)
from ldil2.present.baseline import Characteristic, make_baseline_table
from ldil2.present.consort import (
    COMPLETED,
    FLOW_STAGES,
    RANDOMIZED,
    TREATED,
    WITHDRAWN,
    Count,
    Flow,
    plot_consort,
)
from ldil2.present.format import count_of
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard
from ldil2.stats.descriptive import COUNT, MEAN_SD, MEDIAN_IQR, describe

CHAPTER = "participants"

# ---------------------------------------------------------------------------------------------
# Participant flow and withdrawals
# ---------------------------------------------------------------------------------------------

FLOW_LABELS: dict[str, str] = {
    RANDOMIZED: "Participants randomized",
    TREATED: "Participants who received at least one dose",
    WITHDRAWN: "Participants who withdrew before week 24",
    COMPLETED: "Participants who completed week 24",
}


def flow_counts(subjects: pd.DataFrame) -> pd.DataFrame:
    """Participant flow per arm: randomized, treated, withdrawn, completed, analysed.

    Parameters
    ----------
    subjects : subjects.csv as loaded (one row per randomized participant)

    Returns
    -------
    DataFrame : index = stage (``randomized``, ``treated`` = received at least one dose,
        ``withdrawn`` = did not complete week 24, ``completed``, then ``analysed_<population>``
        for every population of :data:`ldil2.contract.POPULATIONS`), columns = arm codes, int
        counts
    """
    flags = {
        TREATED: subjects[c.SAFETY],
        WITHDRAWN: ~subjects[c.COMPLETED],
        COMPLETED: subjects[c.COMPLETED],
    }  # a missing flag counts as false
    rows = {
        RANDOMIZED: subjects_per_arm(subjects),
        **{stage: subjects_per_arm(subjects[flag_true(flag)]) for stage, flag in flags.items()},
        **{f"analysed_{p}": population_counts(subjects, p) for p in c.POPULATIONS},
    }
    return pd.DataFrame.from_dict(rows, orient="index")[list(c.ARMS)]


EXCLUSION_REASONS: dict[str, str] = {
    c.PER_PROTOCOL: "did not complete week 24",
    c.ITT: "not flagged as randomized",
    c.SAFETY: "received no dose",
}
"""Why a randomized participant is not in a population's analysis (the population's rule)."""


def exclusion_counts(subjects: pd.DataFrame) -> pd.DataFrame:
    """Randomized participants left out of each population's analysis, per arm.

    Returns
    -------
    DataFrame : index = population (:data:`ldil2.contract.POPULATIONS`), columns = arm codes;
        the randomized participants of the arm minus those in the population (a missing flag
        counts as not in it)
    """
    randomized = subjects_per_arm(subjects)
    rows = {
        p: {arm: randomized[arm] - n for arm, n in population_counts(subjects, p).items()}
        for p in c.POPULATIONS
    }
    return pd.DataFrame.from_dict(rows, orient="index")[list(c.ARMS)]


def withdrawals_by_reason(
    subjects: pd.DataFrame, arm: str
) -> list[tuple[str, int, tuple[int, ...]]]:
    """The withdrawals of `arm` by recorded reason: (reason, participants, their weeks of
    withdrawal in order, missing weeks left out), the most frequent reason first, then by
    name."""
    withdrawn = subjects[(subjects[c.ARM] == arm) & flag_true(~subjects[c.COMPLETED])]
    grouped = withdrawn.groupby(c.WITHDRAWAL_REASON, sort=True)[c.WITHDRAWAL_WEEK]
    ordered = sorted(grouped, key=lambda item: (-len(item[1]), item[0]))
    return [
        (str(reason), len(weeks), tuple(sorted(int(w) for w in weeks.dropna())))
        for reason, weeks in ordered
    ]


def reason_endpoint(reason: str) -> str:
    """The ARD endpoint of the withdrawals with one recorded reason: ``withdrawal_<reason>``
    in lower case, runs of other characters than letters and digits as one '_'."""
    return "withdrawal_" + re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_")


ASSESSED_LABEL = "People assessed for eligibility"


def record_flow(ard: Ard, ch: Any) -> Flow:
    """Record the participant flow of all randomized participants (population ``itt``): the
    stages of :func:`flow_counts` per arm, the withdrawals by reason, the participants left out
    of each population's analysis (:func:`exclusion_counts`, endpoint ``excluded_<population>``,
    the reason as label) and, when metadata.yml gives it (optional key
    ``assessed_for_eligibility``), the people assessed for eligibility (analysis
    ``participant_flow``); and the participants of every population (stat ``N``, as
    :func:`ldil2.book.common.record_participants`)."""
    subjects = ch.release.subjects
    counts = flow_counts(subjects)

    def record(endpoint: str, label: str, n: int, arm: str = "") -> Count:
        rid = ard.record(endpoint, label, "participant_flow", {"n": n}, group=arm, population=c.ITT)
        return rid, "n"

    stages: dict[str, dict[str, Count]] = {
        stage: {arm: record(stage, FLOW_LABELS[stage], counts.loc[stage, arm], arm)
                for arm in c.ARMS}
        for stage in FLOW_STAGES
    }  # fmt: skip
    for population in c.POPULATIONS:
        ids = record_participants(ard, ch, population)
        stages[f"analysed_{population}"] = {arm: (ids[arm], "N") for arm in c.ARMS}
    reasons = {
        arm: tuple(
            (record(reason_endpoint(reason), reason, n, arm)[0], weeks)
            for reason, n, weeks in withdrawals_by_reason(subjects, arm)
        )
        for arm in c.ARMS
    }
    total = record(RANDOMIZED, FLOW_LABELS[RANDOMIZED], int(counts.loc[RANDOMIZED].sum()))
    excluded = exclusion_counts(subjects)
    exclusions = {
        p: {arm: record(f"excluded_{p}", EXCLUSION_REASONS[p], int(excluded.loc[p, arm]), arm)
            for arm in c.ARMS}
        for p in c.POPULATIONS
    }  # fmt: skip
    screened = ch.release.metadata.get(c.META_ASSESSED)
    assessed = None if screened is None else record(c.META_ASSESSED, ASSESSED_LABEL, screened)
    return Flow(total, stages, reasons, exclusions, assessed)


def consort_flow(ch: Any) -> Result:
    """The participant flow: counts per arm for the prose and the CONSORT diagram.

    Glue values ``flow_randomized`` (all arms) and ``flow_<stage>_<arm>`` for every stage of
    :func:`flow_counts`; figure ``consort_fig``; every count an ARD row (:func:`record_flow`).
    """
    ard = Ard(CHAPTER, ch.population)
    flow = record_flow(ard, ch)
    values: dict[str, int] = {"flow_randomized": flow.count(ard, RANDOMIZED)}
    for stage in flow.stages:
        for arm in c.ARMS:
            values[f"flow_{stage}_{arm}"] = flow.count(ard, stage, arm)
    return Result(values=values, figures={"consort_fig": plot_consort(ard, flow)}, ard=ard)


def withdrawal_listing(ch: Any) -> Result:
    """Table ``withdrawal_table``: every participant who did not complete week 24, by arm, with
    the week and the recorded reason (all randomized participants). A listing of data: the ARD
    holds only the participants per arm of its caption."""
    ard = Ard(CHAPTER, ch.population)
    record_participants(ard, ch, c.ITT)
    subjects = ch.release.subjects
    withdrawn = subjects[flag_true(~subjects[c.COMPLETED])]
    withdrawn = withdrawn.sort_values([c.ARM, c.WITHDRAWAL_WEEK])
    frame = pd.DataFrame(
        {
            "Arm": withdrawn[c.ARM].map(c.ARM_LABELS),
            "Participant": withdrawn[c.SUBJECT_ID],
            "Week of withdrawal": withdrawn[c.WITHDRAWAL_WEEK].astype("Int64").astype(str),
            "Reason (as recorded)": withdrawn[c.WITHDRAWAL_REASON],
        }
    )
    title = caption(ch, ard, "Withdrawals before week 24", population=c.ITT)
    note = footnote(ch, "One row per participant who did not complete week 24.")
    table = HtmlTable.from_frame(frame, caption=title, footnote=note)
    return Result(tables={"withdrawal_table": table}, ard=ard)


# ---------------------------------------------------------------------------------------------
# Baseline characteristics
# ---------------------------------------------------------------------------------------------

DEMOGRAPHICS: tuple[tuple[str, str, str], ...] = (
    (c.AGE, "Age, years", MEAN_SD),
    (c.SEX, "Female", COUNT),
    (c.DISEASE_DURATION, "Disease duration, years", MEDIAN_IQR),
    (c.RF_POSITIVE, "Rheumatoid factor positive", COUNT),
    (c.ACPA_POSITIVE, "ACPA positive", COUNT),
    (c.MTX_DOSE, "Methotrexate dose, mg/week", MEAN_SD),
)
DISEASE_ACTIVITY: tuple[tuple[str, str, str], ...] = (
    (c.TJC28, "Tender joints, 28-joint count", MEAN_SD),
    (c.SJC28, "Swollen joints, 28-joint count", MEAN_SD),
    (c.TJC68, "Tender joints, 68-joint count", MEAN_SD),
    (c.SJC66, "Swollen joints, 66-joint count", MEAN_SD),
    (c.PTGA, "Patient global assessment, VAS mm (0-100)", MEAN_SD),
    (c.PHGA, "Physician global assessment, VAS mm (0-100)", MEAN_SD),
    (c.PAIN, "Patient pain, VAS mm (0-100)", MEAN_SD),
    (c.HAQ, "HAQ-DI (0-3)", MEAN_SD),
    (c.ESR, "ESR, mm/h", MEDIAN_IQR),
    (c.CRP, "CRP, mg/L", MEDIAN_IQR),
    ("das28_esr", "DAS28-ESR", MEAN_SD),
    ("das28_crp", "DAS28-CRP", MEAN_SD),
    ("cdai", "CDAI (0-76)", MEAN_SD),
    ("sdai", "SDAI", MEAN_SD),
)
BIOMARKERS: tuple[tuple[str, str, str], ...] = (
    (c.CD4, "CD4+ T cells, per µL", MEDIAN_IQR),
    (c.TREG_PCT, "Treg, % of CD4+", MEDIAN_IQR),
    (c.TREG_COUNT, "Treg, per µL", MEDIAN_IQR),
    (c.TH17_PCT, "Th17, % of CD4+", MEDIAN_IQR),
    (c.IL21, "IL-21, pg/mL", MEDIAN_IQR),
    (c.IL6, "IL-6, pg/mL", MEDIAN_IQR),
    (c.IL17A, "IL-17A, pg/mL", MEDIAN_IQR),
)
BASELINE_SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str], ...], int | None], ...] = (
    ("Demographics and disease history", DEMOGRAPHICS, None),
    ("Disease activity at week 0", DISEASE_ACTIVITY, c.BASELINE_WEEK),
    ("Biomarkers at week 0", BIOMARKERS, c.BASELINE_WEEK),
)
"""(title, (column, label, summary) rows, the week of the ARD rows: None for characteristics of
the participant, week 0 for measurements)."""
DIGITS: dict[str, int] = {c.HAQ: 2, "das28_esr": 2, "das28_crp": 2}
"""Decimals of a characteristic (default 1)."""
LEVELS: dict[str, Any] = {c.SEX: "F"}
"""The value a ``count`` characteristic counts (default True)."""


def baseline_frame(
    subjects: pd.DataFrame, analysis: pd.DataFrame, immunology: pd.DataFrame, population: str
) -> pd.DataFrame:
    """One row per participant of `population`: the subjects.csv columns, the week-0 components
    and indices of the analysis table and the week-0 biomarkers (an empty table adds none)."""
    frame = subjects
    if len(analysis):
        week0 = analysis.loc[
            analysis[c.WEEK] == c.BASELINE_WEEK, [c.SUBJECT_ID, *c.ASSESSMENT_MEASURES, *INDICES]
        ]
        frame = frame.merge(week0, on=c.SUBJECT_ID, how="left", validate="1:1")
    if len(immunology):
        immune = immunology.loc[immunology[c.WEEK] == c.BASELINE_WEEK]
        immune = immune[[c.SUBJECT_ID, *c.IMMUNOLOGY_MEASURES]]
        frame = frame.merge(immune, on=c.SUBJECT_ID, how="left", validate="1:1")
    return select_population(frame, population)


def record_baseline(ard: Ard, frame: pd.DataFrame) -> list[tuple[str, list[Characteristic]]]:
    """Record the summary of every characteristic of :data:`BASELINE_SECTIONS` observed in
    `frame` (:func:`baseline_frame`) per arm (:func:`ldil2.stats.descriptive.describe`;
    analysis = the summary) and return the table's sections of :class:`Characteristic`."""
    by_arm = {arm: frame[frame[c.ARM] == arm] for arm in c.ARMS}
    sections = []
    for title, variables, week in BASELINE_SECTIONS:
        rows = []
        for column, label, kind in variables:
            if column not in frame.columns or not frame[column].notna().any():
                continue
            level = LEVELS.get(column, True)
            ids = {
                arm: ard.record(column, label, kind, describe(by_arm[arm][column], kind, level),
                                week=week, group=arm)
                for arm in c.ARMS
            }  # fmt: skip
            rows.append(Characteristic(label, ids, DIGITS.get(column, 1)))
        sections.append((title, rows))
    return sections


def baseline(ch: Any) -> Result:
    """Table ``baseline_table``: the baseline characteristics of the population by arm (no
    p-values), every cell rendered from its ARD rows (:func:`record_baseline`)."""
    ard = Ard(CHAPTER, ch.population)
    release = ch.release
    analysis = ch.analysis if len(release.assessments) else pd.DataFrame()
    frame = baseline_frame(release.subjects, analysis, release.immunology, ch.population)
    sections = record_baseline(ard, frame)
    participants = record_participants(ard, ch)
    table = make_baseline_table(ard, sections, participants, ch.population, release)
    return Result(tables={"baseline_table": table}, ard=ard)


# ---------------------------------------------------------------------------------------------
# Exposure
# ---------------------------------------------------------------------------------------------


def record_exposure(ard: Ard, exposure: pd.DataFrame) -> dict[tuple[int, str], tuple[str, str]]:
    """Record, per dosing cycle and arm of `exposure` (exposure.csv rows of the population with
    their arm): doses received out of planned, summed over participants (``doses_cycle<k>``:
    n, N, percent) and participants who received every planned dose out of those with a
    record (``all_doses_cycle<k>``: n, N); analysis ``exposure``.

    Returns
    -------
    dict : (cycle, arm) -> (doses result_id, all-doses result_id), for the cycles and arms with
        a record
    """
    exposure = exposure.assign(full=exposure[c.DOSES_RECEIVED] == exposure[c.DOSES_PLANNED])
    ids = {}
    for (cycle, arm), part in exposure.groupby([c.CYCLE, c.ARM]):
        got, planned = int(part[c.DOSES_RECEIVED].sum()), int(part[c.DOSES_PLANNED].sum())
        share = 100 * got / planned if planned else float("nan")
        doses = ard.record(
            f"doses_cycle{cycle}", f"Doses received out of doses planned, cycle {cycle}",
            "exposure", {"n": got, "N": planned, "percent": share}, group=arm, unit="doses",
        )  # fmt: skip
        full = ard.record(
            f"all_doses_cycle{cycle}",
            f"Participants who received every planned dose of cycle {cycle}",
            "exposure", {"n": int(part["full"].sum()), "N": len(part)}, group=arm,
        )  # fmt: skip
        ids[(int(cycle), str(arm))] = (doses, full)
    return ids


def exposure_summary(ch: Any) -> Result:
    """Table ``exposure_table``: doses received out of doses planned per cycle and arm, in the
    population (exposure.csv), rendered from the ARD rows of :func:`record_exposure`."""
    ard = Ard(CHAPTER, ch.population)
    members = select_population(ch.release.subjects, ch.population)[[c.SUBJECT_ID, c.ARM]]
    exposure = ch.release.exposure.merge(members, on=c.SUBJECT_ID)
    ids = record_exposure(ard, exposure)
    rows = []
    for cycle in sorted({cycle for cycle, _ in ids}):
        row: dict[str, str] = {"Cycle": str(cycle)}
        for arm in c.ARMS:
            doses, full = ids.get((cycle, arm), (None, None))
            label = c.ARM_LABELS[arm]
            row[f"{label}: doses received / planned"] = (
                "-" if doses is None else count_of(ard, doses)
            )
            row[f"{label}: all doses, n/N"] = (
                "-" if full is None else f"{int(ard.get(full, 'n'))}/{int(ard.get(full, 'N'))}"
            )
        rows.append(row)
    record_participants(ard, ch)
    title = caption(ch, ard, "Exposure to study drug by dosing cycle")
    note = footnote(
        ch, "Doses received out of doses planned (exposure.csv), summed over participants with a "
        "record for the cycle; 'all doses' counts participants who received every planned dose."
    )  # fmt: skip
    table = HtmlTable.from_frame(pd.DataFrame(rows), caption=title, footnote=note)
    return Result(tables={"exposure_table": table}, ard=ard)
