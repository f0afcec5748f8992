"""Tests of ldil2.simulate and of the shipped simulated release in data/.

The calibration targets are the published record (../shared/reference/published-record.md,
section 3), computed here from the CSVs through the library's own derivations and models
(ldil2.derive, ldil2.stats), never from the simulator's internals.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ldil2 import contract as c
from ldil2 import testing
from ldil2.data.release import Release, load
from ldil2.derive.analysis import make_analysis_table
from ldil2.derive.indices import das28_esr
from ldil2.derive.populations import select_population
from ldil2.simulate.release import simulate, simulate_command
from ldil2.simulate.scenario import assumptions_table, load_scenario
from ldil2.stats.longitudinal import gee_binary, mixed_change

SCENARIO = testing.SHIPPED_SCENARIO

# The published record, per-protocol population (abstract of the trial report, PMID 35250032).
ACR20_RESPONDERS = {
    12: {c.ARM_LDIL2: 12, c.ARM_PLACEBO: 10},
    24: {c.ARM_LDIL2: 13, c.ARM_PLACEBO: 13},
}
PER_PROTOCOL = {c.ARM_LDIL2: 17, c.ARM_PLACEBO: 23}
RANDOMIZED = {c.ARM_LDIL2: 23, c.ARM_PLACEBO: 24}  # registry
ACROSS_TIME_P = {"acr20": 0.014, "cdai": 0.018, "sdai": 0.015}


@pytest.fixture(scope="module")
def shipped() -> Release:
    return load(testing.SHIPPED_DATA)


@pytest.fixture(scope="module")
def per_protocol(shipped: Release) -> pd.DataFrame:
    table = make_analysis_table(shipped)
    return select_population(table, "per_protocol")


def test_regeneration_equals_shipped_data_byte_for_byte(tmp_path: Path) -> None:
    assert simulate_command(SCENARIO, None, None, tmp_path) == 0
    shipped = sorted(p.name for p in testing.SHIPPED_DATA.iterdir() if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == shipped
    _, mismatch, errors = filecmp.cmpfiles(testing.SHIPPED_DATA, tmp_path, shipped, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_same_seed_same_release_other_seed_differs() -> None:
    scenario = testing.small_scenario()
    first, again, other = (simulate(scenario, seed=s) for s in (3, 3, 4))
    for name in c.RELEASE_TABLES:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first[c.ASSESSMENTS].equals(other[c.ASSESSMENTS])


def test_cli_validate_shipped_data_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ldil2", "validate", str(testing.SHIPPED_DATA)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid release" in done.stdout


def test_metadata_describes_the_release(shipped: Release) -> None:
    scenario = load_scenario(SCENARIO)
    meta = shipped.metadata
    assert shipped.is_simulated
    assert meta["seed"] == scenario["release"]["seed"]
    assert meta["version"] == scenario["release"]["version"]
    assert meta[c.VISIT_SCHEDULE] == scenario["assumptions"]["visit_weeks"]["value"]
    assert (testing.SHIPPED_DATA / meta["scenario"]).is_file()
    assert {"title", "data_cut"} <= set(meta)


def test_participant_flow_matches_registry(shipped: Release) -> None:
    subjects = shipped.subjects
    by_arm = subjects.groupby(c.ARM)
    assert by_arm.size().to_dict() == RANDOMIZED
    assert by_arm[c.PER_PROTOCOL].sum().to_dict() == PER_PROTOCOL
    assert by_arm[c.COMPLETED].sum().to_dict() == PER_PROTOCOL  # per-protocol = completers
    assert subjects[c.ITT].all() and subjects[c.SAFETY].all()


def test_baseline_eligibility_age_and_das28(shipped: Release) -> None:
    base = shipped.assessments[shipped.assessments[c.WEEK] == c.BASELINE_WEEK]
    score = das28_esr(base[c.TJC28], base[c.SJC28], base[c.ESR], base[c.PTGA])
    assert len(base) == len(shipped.subjects)
    assert (score > 3.2).all()
    assert shipped.subjects[c.AGE].between(18, 70).all()


@pytest.mark.parametrize("week", [12, 24])
def test_acr20_counts_reproduce_the_abstract(per_protocol: pd.DataFrame, week: int) -> None:
    visit = per_protocol[per_protocol[c.WEEK] == week]
    responders = visit.groupby(c.ARM)["acr20"].sum().astype(int).to_dict()
    analysed = visit.groupby(c.ARM)["acr20"].count().to_dict()
    assert responders == ACR20_RESPONDERS[week]
    assert analysed == PER_PROTOCOL
    # 12/17 = 70.6%, 10/23 = 43.5%, 13/17 = 76.5%, 13/23 = 56.5% (as printed)
    printed = {12: (70.6, 43.5), 24: (76.5, 56.5)}[week]
    percent = tuple(round(100 * responders[a] / analysed[a], 1) for a in c.ARMS)
    assert percent == printed


def test_across_time_p_values_within_a_factor_of_two(per_protocol: pd.DataFrame) -> None:
    found = {
        "acr20": gee_binary(per_protocol, "acr20").p_value,
        "cdai": mixed_change(per_protocol, "chg_cdai", "base_cdai").p_value,
        "sdai": mixed_change(per_protocol, "chg_sdai", "base_sdai").p_value,
    }
    for endpoint, published in ACROSS_TIME_P.items():
        assert published / 2 <= found[endpoint] <= published * 2, (endpoint, found[endpoint])


def test_low_treg_and_high_il21_go_with_response_on_ldil2(
    shipped: Release, per_protocol: pd.DataFrame
) -> None:
    week24 = per_protocol[(per_protocol[c.WEEK] == 24) & (per_protocol[c.ARM] == c.ARM_LDIL2)]
    responder = week24.set_index(c.SUBJECT_ID)["acr20"].astype(bool)
    immunology = shipped.immunology
    base = immunology[immunology[c.WEEK] == c.BASELINE_WEEK].set_index(c.SUBJECT_ID)
    base = base.loc[responder.index]
    treg, il21 = base["treg_pct_cd4"], base["il21_pg_ml"]
    assert treg[responder].median() < treg[~responder].median()
    assert il21[responder].median() > il21[~responder].median()


def test_treg_rises_during_each_dosing_cycle_on_ldil2_only(shipped: Release) -> None:
    immunology = shipped.immunology.merge(shipped.subjects[[c.SUBJECT_ID, c.ARM]])
    wide = immunology.pivot(index=c.SUBJECT_ID, columns=c.WEEK, values="treg_pct_cd4")
    arm = shipped.subjects.set_index(c.SUBJECT_ID)[c.ARM].loc[wide.index]
    for start in c.DOSING_CYCLE_START_WEEKS:  # dosing weeks start .. start + 2
        ratio = np.exp(np.log(wide[start + 2] / wide[start]).groupby(arm).mean())
        assert ratio[c.ARM_LDIL2] > 1.3, (start, ratio.to_dict())
        assert 0.9 < ratio[c.ARM_PLACEBO] < 1.1, (start, ratio.to_dict())


def test_well_tolerated(shipped: Release) -> None:
    events = shipped.adverse_events.merge(shipped.subjects[[c.SUBJECT_ID, c.ARM]])
    assert not events[c.AE_SERIOUS].any()
    assert not events[c.AE_LED_TO_WITHDRAWAL].any()
    assert events[c.AE_GRADE].max() <= 2
    site = events[events[c.AE_TERM] == "Injection site reaction"]
    per_arm = site.groupby(c.ARM)[c.SUBJECT_ID].nunique().reindex(c.ARMS, fill_value=0)
    assert per_arm[c.ARM_LDIL2] > per_arm[c.ARM_PLACEBO]


def test_assumptions_table_lists_every_assumption_with_its_reason() -> None:
    scenario = load_scenario(SCENARIO)
    table = assumptions_table(SCENARIO)
    assert list(table.columns) == ["name", "value", "justification"]
    assert list(table["name"]) == list(scenario["assumptions"])
    assert (table["justification"].str.len() > 10).all()
    row = table.set_index("name").loc["visit_weeks"]
    assert row["value"] == "0, 2, 4, 6, 8, 10, 12, 16, 20, 24"


def test_scenario_assumption_without_why_is_rejected(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    del scenario["assumptions"]["visit_sd"]["why"]
    path = tmp_path / "scenario.yml"
    path.write_text(yaml.safe_dump(scenario))
    with pytest.raises(ValueError, match="visit_sd"):
        load_scenario(path)


def test_small_release_has_what_other_tests_need(tmp_path: Path) -> None:
    release = load(testing.small_release(tmp_path, per_arm=5, no_adverse_events_in="placebo"))
    subjects = release.subjects
    assert subjects.groupby(c.ARM).size().to_dict() == dict.fromkeys(c.ARMS, 5)
    assert (~subjects[c.COMPLETED]).groupby(subjects[c.ARM]).sum().to_dict() == dict.fromkeys(
        c.ARMS, 1
    )
    arms = release.adverse_events.merge(subjects)[c.ARM]
    assert set(arms) == {c.ARM_LDIL2}
    visits = release.assessments.groupby(c.SUBJECT_ID).size()
    scheduled = len(release.metadata[c.VISIT_SCHEDULE])
    assert (visits[subjects.loc[subjects[c.COMPLETED], c.SUBJECT_ID]] < scheduled).any()


def test_dropping_an_immunology_visit_keeps_the_release_valid(tmp_path: Path) -> None:
    data_dir = testing.small_release(tmp_path)
    second = testing.read_text_table(data_dir, c.IMMUNOLOGY).iloc[1]  # a post-baseline sample
    subject, week = second[c.SUBJECT_ID], int(second[c.WEEK])
    assert testing.drop_rows(data_dir, c.IMMUNOLOGY, subject_id=subject, week=week) == 1
    immunology = load(data_dir).immunology
    mine = immunology[immunology[c.SUBJECT_ID] == subject]
    assert week not in set(mine[c.WEEK]) and c.BASELINE_WEEK in set(mine[c.WEEK])


def test_hundredfold_release_generates_and_validates_quickly(tmp_path: Path) -> None:
    start = time.perf_counter()
    assert simulate_command(SCENARIO, None, 2350, tmp_path) == 0
    seconds = time.perf_counter() - start
    subjects = load(tmp_path, tables=[]).subjects
    assert subjects.groupby(c.ARM).size().to_dict() == dict.fromkeys(c.ARMS, 2350)
    # withdrawals scale with the arm: 6/23 and 1/24 of 2,350, rounded
    withdrawn = (~subjects[c.COMPLETED]).groupby(subjects[c.ARM]).sum().to_dict()
    assert withdrawn == {c.ARM_LDIL2: round(6 / 23 * 2350), c.ARM_PLACEBO: round(1 / 24 * 2350)}
    assert seconds < 30, seconds


def test_release_without_adverse_events_is_valid(tmp_path: Path) -> None:
    data_dir = testing.small_release(tmp_path)
    written = len(testing.read_text_table(data_dir, c.ADVERSE_EVENTS))
    assert testing.drop_rows(data_dir, c.ADVERSE_EVENTS) == written > 0
    events = load(data_dir).adverse_events
    assert events.empty and str(events[c.AE_GRADE].dtype) == "Int64"
