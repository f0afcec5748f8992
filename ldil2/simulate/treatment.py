"""Exposure (doses per cycle) and adverse events of a simulated release."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldil2 import contract as c
from ldil2.simulate.scenario import Scenario

AE_COLUMNS: tuple[str, ...] = (
    c.SUBJECT_ID,
    c.AE_TERM,
    c.AE_SOC,
    c.AE_ONSET_DAY,
    c.AE_END_DAY,
    c.AE_GRADE,
    c.AE_SERIOUS,
    c.AE_RELATED,
    c.AE_LED_TO_WITHDRAWAL,
)
"""Columns of adverse_events.csv after the event identifier, in file order."""


def draw_exposure(rng: np.random.Generator, s: Scenario, subjects: pd.DataFrame) -> pd.DataFrame:
    """exposure.csv: one row per participant and cycle; every dose is planned, one is missed
    with the scenario's probability, none is received in a cycle starting at or after the
    withdrawal week."""
    n = len(subjects)
    last = subjects[c.WITHDRAWAL_WEEK].fillna(c.LAST_WEEK + 1).to_numpy(dtype=float)
    frames = []
    for cycle, start in enumerate(c.DOSING_CYCLE_START_WEEKS, start=1):
        missed = (rng.random(n) < s.a["doses_missed_probability"]).astype(int)
        received = np.where(start < last, c.DOSES_PER_CYCLE - missed, 0)
        frames.append(
            pd.DataFrame(
                {
                    c.SUBJECT_ID: subjects[c.SUBJECT_ID].to_numpy(),
                    c.CYCLE: cycle,
                    c.DOSES_PLANNED: c.DOSES_PER_CYCLE,
                    c.DOSES_RECEIVED: received,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values([c.SUBJECT_ID, c.CYCLE], kind="stable").reset_index(drop=True)


def draw_adverse_events(
    rng: np.random.Generator, s: Scenario, subjects: pd.DataFrame
) -> pd.DataFrame:
    """adverse_events.csv: each scenario event occurs at most once per participant, with its
    arm's risk, onset uniform over the days on study, a geometric duration with the event's mean
    days, grade 2 with the scenario's probability (else 1), never serious nor leading to
    withdrawal; identifiers AE0001... in participant, onset and term order."""
    a = s.a
    n = len(subjects)
    arms = subjects[c.ARM].to_numpy()
    weeks_on_study = subjects[c.WITHDRAWAL_WEEK].fillna(c.LAST_WEEK).to_numpy(float)
    days_on_study = np.maximum(weeks_on_study * c.DAYS_PER_WEEK, 1)
    rows = []
    for event in a["adverse_events"]:
        risk = np.where(arms == c.ARM_LDIL2, event[c.ARM_LDIL2], event[c.ARM_PLACEBO])
        occurs = rng.random(n) < risk
        onset = c.FIRST_DOSE_DAY + np.floor(rng.random(n) * days_on_study).astype(int)
        duration = rng.geometric(1 / event["days"], n)
        grade = np.where(rng.random(n) < a["grade_2_probability"], 2, 1)
        for i in np.flatnonzero(occurs):
            rows.append(
                {
                    c.SUBJECT_ID: subjects[c.SUBJECT_ID].iat[i],
                    c.AE_TERM: event["term"],
                    c.AE_SOC: event["soc"],
                    c.AE_ONSET_DAY: onset[i],
                    c.AE_END_DAY: onset[i] + duration[i] - 1,
                    c.AE_GRADE: grade[i],
                    c.AE_SERIOUS: False,
                    c.AE_RELATED: bool(event["related"]),
                    c.AE_LED_TO_WITHDRAWAL: False,
                }
            )
    frame = pd.DataFrame(rows, columns=list(AE_COLUMNS))
    frame = frame.sort_values([c.SUBJECT_ID, c.AE_ONSET_DAY, c.AE_TERM], kind="stable")
    frame.insert(0, c.AE_ID, [f"AE{i + 1:04d}" for i in range(len(frame))])
    return frame.reset_index(drop=True)
