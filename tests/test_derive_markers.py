"""Tests of ldil2.derive.markers on small hand-made frames (expected values worked by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from marker_cases import immunology_frame, marker_subjects

from ldil2 import contract as c
from ldil2.derive import markers as dm


def test_derive_th17_treg_ratio_divides_and_rejects_zero_treg():
    imm = immunology_frame([("S0", 0, 5.0, 1.0), ("S1", 0, 0.0, 1.0), ("S2", 0, np.nan, 1.0)])
    ratio = dm.derive_th17_treg_ratio(imm)[dm.TH17_TREG_RATIO]
    assert ratio.iloc[0] == pytest.approx(0.2)  # 1 / 5
    assert ratio.iloc[1:].isna().all()  # Treg 0 and Treg missing give no ratio


def test_make_marker_response_frame_complete_cases_and_nri():
    subjects = marker_subjects([c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO])
    imm = immunology_frame([("S0", 0, 5, 1), ("S1", 0, 6, 1), ("S2", 0, 7, 1), ("S0", 12, 9, 1)])
    analysis = pd.DataFrame(
        {
            c.SUBJECT_ID: ["S0", "S1", "S2", "S0"],
            c.WEEK: pd.array([24, 24, 24, 0], dtype="Int64"),
            c.ARM: [c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO, c.ARM_LDIL2],
            "acr20": pd.array([True, pd.NA, False, pd.NA], dtype="boolean"),
        }
    )
    for flag in c.POPULATION_FLAGS:
        analysis[flag] = pd.array([True] * 4, dtype="boolean")
    observed = dm.make_marker_response_frame(subjects, imm, analysis, c.PER_PROTOCOL)
    assert observed[c.SUBJECT_ID].tolist() == ["S0", "S2"]  # S1's response is missing
    assert observed["treg_pct_cd4"].tolist() == [5, 7]  # the week-0 value, not week 12
    assert observed["response"].tolist() == [True, False]
    nri = dm.make_marker_response_frame(subjects, imm, analysis, c.PER_PROTOCOL, imputation="nri")
    assert nri.set_index(c.SUBJECT_ID)["response"].to_dict() == {
        "S0": True,
        "S1": False,
        "S2": False,
    }
    with pytest.raises(ValueError, match="imputation"):
        dm.make_marker_response_frame(subjects, imm, analysis, c.PER_PROTOCOL, imputation="locf")


def test_marker_rows_keep_the_population_with_arm_and_ratio():
    subjects = marker_subjects([c.ARM_LDIL2, c.ARM_PLACEBO])
    subjects.loc[1, c.PER_PROTOCOL] = False
    imm = immunology_frame([("S0", 0, 5, 1), ("S1", 0, 5, 1)])
    rows = dm.marker_rows(subjects, imm, c.PER_PROTOCOL)
    assert rows[c.SUBJECT_ID].tolist() == ["S0"]
    assert rows[c.ARM].tolist() == [c.ARM_LDIL2] and rows[c.WEEK].dtype == "int64"
    assert rows[dm.TH17_TREG_RATIO].tolist() == [pytest.approx(0.2)]
