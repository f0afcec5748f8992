"""Tests of ldil2.present.baseline and ldil2.stats.descriptive: baseline cells rendered from ARD
rows of hand-made values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.present.baseline import Characteristic, make_baseline_table, summary_cell
from ldil2.results.ard import Ard
from ldil2.stats.descriptive import COUNT, MEAN_SD, MEDIAN_IQR, describe


def cell(values: pd.Series, kind: str, digits: int = 1, level=True) -> str:
    """describe -> one ARD result -> the rendered cell."""
    ard = Ard("participants")
    rid = ard.record("x", "X", kind, describe(values, kind, level), group=c.ARM_LDIL2)
    return summary_cell(ard, rid, digits)


def test_summarize_formats():
    # mean of 30, 40, 50 = 40; SD = sqrt(((-10)^2 + 0 + 10^2)/2) = 10
    assert cell(pd.Series([30, 40, 50]), MEAN_SD) == "40.0 (10.0)"
    # median of 1..5 = 3, quartiles (linear interpolation) 2 and 4
    assert cell(pd.Series([1, 2, 3, 4, 5]), MEDIAN_IQR) == "3.0 [2.0, 4.0]"
    # 2 of 3 known values; one missing
    values = pd.Series([True, True, False, pd.NA], dtype="boolean")
    assert cell(values, COUNT) == "2 (66.7%), 1 missing"
    assert cell(pd.Series([float("nan")]), MEAN_SD) == "-"


def test_summarize_counts_a_level_and_gives_no_sd_of_one_value():
    assert cell(pd.Series(["F", "M", "F", "F"]), COUNT, level="F") == "3 (75.0%)"
    assert cell(pd.Series([35.0, None]), MEAN_SD) == "35.0 (-), 1 missing"
    assert cell(pd.Series([0.125, 0.25]), MEAN_SD, digits=2) == "0.19 (0.09)"


def test_describe_statistics_by_hand():
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample SD sqrt(32/7) = 2.138
    got = describe(pd.Series([2, 4, 4, 4, 5, 5, 7, 9, None]), MEAN_SD)
    assert got["mean"] == 5 and got["sd"] == pytest.approx(2.13809, abs=1e-5)
    assert (got["n"], got["missing"]) == (8, 1)
    none = describe(pd.Series([None, None], dtype=float), MEDIAN_IQR)
    assert none["n"] == 0 and math.isnan(none["median"])
    with pytest.raises(ValueError, match="kind"):
        describe(pd.Series([1.0]), "mean")


def test_summary_cell_renders_the_recorded_numbers():
    # the cell is the ARD rows, not the data: a hand-recorded mean and SD print as recorded
    ard = Ard("participants")
    rid = ard.record("age", "Age", MEAN_SD, {"n": 17, "missing": 2, "mean": 51.25, "sd": 9.04},
                     group=c.ARM_LDIL2)  # fmt: skip
    assert summary_cell(ard, rid) == "51.2 (9.0), 2 missing"
    other = Ard("participants")
    rid = other.record("age", "Age", MEAN_SD, {"n": 17, "missing": 0, "mean": 48.0, "sd": 9.04},
                       group=c.ARM_LDIL2)  # fmt: skip
    assert summary_cell(other, rid) == "48.0 (9.0)"


def test_make_baseline_table_header_caption_and_sections_from_the_ard():
    ard = Ard("participants", c.ITT)
    participants = {
        arm: ard.record("participants", "P", "count", {"N": n}, group=arm)
        for arm, n in zip(c.ARMS, (3, 2), strict=True)
    }
    age = {
        arm: ard.record("age", "Age", MEAN_SD, describe(pd.Series(v), MEAN_SD), group=arm)
        for arm, v in zip(c.ARMS, ([30, 40, 50], [35, None]), strict=True)
    }
    sections = [("Demographics", [Characteristic("Age, years", age)]), ("Empty", [])]
    table = make_baseline_table(ard, sections, participants, c.ITT)
    assert table.header == ("Characteristic", "Ld-IL2 + MTX (n = 3)", "Placebo + MTX (n = 2)")
    assert table.caption == (
        "Baseline characteristics, intention-to-treat population "
        "(Ld-IL2 + MTX n = 3; Placebo + MTX n = 2)"
    )
    assert table.rows == (("Demographics",), ("Age, years", "40.0 (10.0)", "35.0 (-), 1 missing"))
    assert table.kinds == ("section", "")
    assert any("No P values" in note for note in table.footnote)
