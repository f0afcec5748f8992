"""Tests of ldil2.ledger: comparison rules, the ledger on the shipped data, a changed value."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ldil2 import data, derive, ledger, testing


@pytest.mark.parametrize(
    ("published", "recomputed", "expected"),
    [
        (70.6, 12 / 17 * 100, True),  # 70.588... rounds to 70.6
        (70.6, 70.64, True),
        (70.6, 70.66, False),  # rounds to 70.7
        (43.5, 10 / 23 * 100, True),  # 43.478... rounds to 43.5
        (43.5, 9 / 23 * 100, False),
    ],
)
def test_reproduces_percent_exact_at_one_decimal(published, recomputed, expected):
    assert ledger.reproduces(published, recomputed, "percent", "exact", None) is expected


def test_reproduces_count_exact():
    assert ledger.reproduces(17, 17.0, "count", "exact", None)
    assert not ledger.reproduces(17, 16.0, "count", "exact", None)


@pytest.mark.parametrize(
    ("recomputed", "expected"),
    # factor 2 around 0.014: [0.007, 0.028]
    [(0.007, True), (0.028, True), (0.0069, False), (0.0281, False), (0.02, True)],
)
def test_reproduces_p_value_within_factor(recomputed, expected):
    assert ledger.reproduces(0.014, recomputed, "p_value", "within_factor", 2.0) is expected


def test_reproduces_nan_never():
    assert not ledger.reproduces(0.014, math.nan, "p_value", "within_factor", 2.0)


def test_reproduces_rejects_within_factor_without_factor():
    with pytest.raises(ValueError, match="tolerance > 1"):
        ledger.reproduces(0.014, 0.014, "p_value", "within_factor", None)


def test_reproduces_rejects_unknown_rule():
    with pytest.raises(ValueError, match="'close'"):
        ledger.reproduces(1.0, 1.0, "count", "close", None)


def test_ledger_summary_counts_reproduced_rows():
    frame = pd.DataFrame({"status": ["reproduced", "differs", "reproduced"]})
    assert ledger.ledger_summary(frame) == "2 of 3 published numbers reproduced"


ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def shipped_ledger() -> pd.DataFrame:
    release = data.load(DATA)
    return ledger.make_ledger(release, derive.make_analysis_table(release))


@pytest.fixture
def release_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA, tmp_path / "data"))


def _ledger(data_dir: Path) -> pd.DataFrame:
    release = data.load(data_dir)
    return ledger.make_ledger(release, derive.make_analysis_table(release))


def test_make_ledger_reproduces_every_published_number_on_shipped_data(shipped_ledger):
    published = pd.read_csv(DATA / "published.csv")
    assert shipped_ledger["key"].tolist() == published["key"].tolist()
    assert (shipped_ledger["status"] == "reproduced").all(), shipped_ledger
    summary = ledger.ledger_summary(shipped_ledger)
    assert summary == f"{len(published)} of {len(published)} published numbers reproduced"


def test_make_ledger_recomputes_counts_and_percentages_from_the_csvs(shipped_ledger):
    # independent count from the CSV text: 17 completers on Ld-IL2 (registry)
    subjects = pd.read_csv(DATA / "subjects.csv")
    completers = ((subjects["arm"] == "ldil2") & subjects["completed"]).sum()
    row = shipped_ledger.set_index("key").loc["n_compl_ldil2"]
    assert row["recomputed"] == completers
    # 12 of 17 responders at week 12 = 70.588...%, published 70.6 -> difference -0.0118
    row = shipped_ledger.set_index("key").loc["acr20_w12_ldil2"]
    assert row["recomputed"] == pytest.approx(100 * 12 / 17)
    assert row["difference"] == pytest.approx(100 * 12 / 17 - 70.6)


def test_make_ledger_flags_a_changed_published_value(release_copy):
    line = testing.line_of(release_copy, "published.csv", key="acr20_w12_ldil2")
    testing.set_value(release_copy, "published.csv", line, "value", "71.6")
    result = _ledger(release_copy)
    assert result.loc[result["status"] == "differs", "key"].tolist() == ["acr20_w12_ldil2"]
    assert (
        ledger.ledger_summary(result)
        == f"{len(result) - 1} of {len(result)} published numbers reproduced"
    )


def test_make_ledger_flags_a_changed_data_value(release_copy):
    # make one week-12 Ld-IL2 ACR20 responder of the per-protocol set a non-responder: their
    # 68-joint tender count at week 12 goes back to its baseline value (0% improvement)
    release = data.load(release_copy)
    table = derive.make_analysis_table(release)
    responders = table[
        (table["week"] == 12) & (table["arm"] == "ldil2") & table["per_protocol"] & table["acr20"]
    ]
    subject = responders.iloc[0]
    line = testing.line_of(
        release_copy, "assessments.csv", subject_id=subject["subject_id"], week=12
    )
    testing.set_value(
        release_copy, "assessments.csv", line, "tjc68", str(int(subject["base_tjc68"]))
    )
    result = _ledger(release_copy).set_index("key")
    assert result.loc["acr20_w12_ldil2", "status"] == "differs"
    # 11/17 = 64.7%
    assert result.loc["acr20_w12_ldil2", "recomputed"] == pytest.approx(100 * 11 / 17)
    assert result.loc["n_pp_ldil2", "status"] == "reproduced"


def test_ledger_display_prints_numbers_as_the_record_does():
    release = data.load(DATA)
    frame = ledger.make_ledger(release, derive.make_analysis_table(release))
    shown = ledger.ledger_display(release, frame).set_index("Published statement")
    acr20 = shown.loc["ACR20 at week 12, Ld-IL2 + MTX: 70.6%"]
    # 12/17 = 70.588...%: printed 70.6%, difference 70.588 - 70.6 = -0.01 percentage points
    assert acr20[["Published", "Recomputed", "Difference", "Rule", "Status"]].tolist() == [
        "70.6%",
        "70.6%",
        "-0.01",
        "equal at one decimal",
        "reproduced",
    ]
    count = shown.loc["Randomized (started), Ld-IL2 + MTX: 23"]
    assert count[["Published", "Recomputed", "Difference", "Rule"]].tolist() == [
        "23",
        "23",
        "+0",
        "equal",
    ]
    p_row = shown.loc[shown["Rule"] == "within a factor of 2"].iloc[0]
    assert p_row["Published"] == "0.014"
