"""Tests of ldil2.derive.imputation: the one-row-per-subject frame of the multiple imputation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ldil2.data.release import load
from ldil2.derive.analysis import make_analysis_table
from ldil2.derive.imputation import BASELINE, OUTCOME, mi_frame

ROOT = Path(__file__).resolve().parents[1]


def test_mi_frame_has_one_row_per_randomized_subject():
    frame = mi_frame(make_analysis_table(load(ROOT / "data")), "cdai", 24, "itt")
    subjects = pd.read_csv(ROOT / "data" / "subjects.csv")
    assert len(frame) == len(subjects)
    # the outcome is missing exactly for those without a week-24 visit: the withdrawn
    withdrawn = subjects.set_index("subject_id")["completed"].eq(False)
    assert frame[OUTCOME].isna().sort_index().tolist() == withdrawn.sort_index().tolist()
    assert not frame[BASELINE].isna().any()


def test_mi_frame_of_the_per_protocol_set_has_no_missing_outcome():
    frame = mi_frame(make_analysis_table(load(ROOT / "data")), "cdai", 24, "per_protocol")
    subjects = pd.read_csv(ROOT / "data" / "subjects.csv")
    assert len(frame) == subjects["per_protocol"].sum()
    assert not frame[OUTCOME].isna().any()
