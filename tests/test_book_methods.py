"""Tests of ldil2.book.methods: schedule, eligibility, populations, missing data and the
simulation assumptions, on hand-made frames and on the shipped release."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import assert_glued_outputs_well_formed, notebook_errors

from ldil2 import contract as c
from ldil2.book import methods
from ldil2.book.common import edition_facts

ROOT = Path(__file__).resolve().parents[1]


def test_dosing_days_every_other_day_from_each_cycle_start():
    exposure = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "A", "A"],
            c.CYCLE: pd.array([1, 2, 3], dtype="Int64"),
            c.DOSES_PLANNED: pd.array([7, 7, 7], dtype="Int64"),
            c.DOSES_RECEIVED: pd.array([7, 6, 7], dtype="Int64"),
        }
    )
    days = methods.dosing_days(exposure)
    # protocol: cycles start weeks 0, 4, 8 (study days 1, 29, 57; day 1 = first dose),
    # 7 doses 2 days apart
    assert days[1] == [1, 3, 5, 7, 9, 11, 13]
    assert days[2][0] == 29 and days[3] == [57, 59, 61, 63, 65, 67, 69]


def test_dosing_days_without_exposure_uses_the_protocol_schedule():
    exposure = pd.DataFrame(columns=[c.SUBJECT_ID, c.CYCLE, c.DOSES_PLANNED, c.DOSES_RECEIVED])
    days = methods.dosing_days(exposure)
    assert [len(d) for d in days.values()] == [c.DOSES_PER_CYCLE] * len(c.DOSING_CYCLE_START_WEEKS)
    assert days == c.dosing_days()  # the contract's convention: day 1 = first dose


# ---------------------------------------------------------------------------------------------
# A small hand-made chapter: A, B on Ld-IL2 and P on placebo, visits at weeks 0, 12 and 24
# ---------------------------------------------------------------------------------------------


def small_chapter(population: str = c.PER_PROTOCOL):
    subjects = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "B", "P"],
            c.ARM: [c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO],
            c.AGE: pd.array([30, 50, 41], dtype="Int64"),
            c.ITT: True,
            c.SAFETY: True,
            c.PER_PROTOCOL: [True, True, False],
            c.COMPLETED: [True, True, False],
        }
    )
    # ACR20: A observed at week 12 only, B at week 12 only, P at weeks 12 and 24
    analysis = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "A", "A", "B", "B", "P", "P", "P"],
            c.WEEK: [0, 12, 24, 0, 12, 0, 12, 24],
            "acr20": pd.array([None, True, None, None, False, None, True, True], "boolean"),
            "das28_esr": [4.551, 3.0, 2.0, 7.049, 5.0, 5.5, 4.0, 3.0],
        }
    )
    analysis = analysis.merge(subjects.drop(columns=c.AGE), on=c.SUBJECT_ID)
    release = SimpleNamespace(
        subjects=subjects,
        exposure=pd.DataFrame(columns=[c.CYCLE, c.DOSES_PLANNED]),
        metadata={c.VISIT_SCHEDULE: [0, 12, 24]},
        is_simulated=True,
        version="2099.1.1",
    )
    return SimpleNamespace(
        release=release,
        analysis=analysis,
        population=population,
        population_label=c.POPULATION_LABELS[population],
        params={"imputation": "none"},
    )


def test_missing_data_counts_scheduled_values_from_the_ard():
    result = methods.missing_data(small_chapter(c.ITT))
    # ITT: Ld-IL2 A, B, placebo P; weeks 12 and 24 -> 6 scheduled values, A and B miss week 24
    assert result.values["missing_visits_text"] == (
        "In the intention-to-treat population, 2 of 6 scheduled post-baseline ACR20 values are "
        "missing."
    )
    frame = result.tables["missing_table"].to_frame().set_index("Week")
    assert frame.loc["24"].tolist() == ["0/2", "1/1"]
    assert frame.loc["12"].tolist() == ["2/2", "1/1"]
    ard = result.ard
    assert ard.get("acr20.w24.itt.ldil2.visit_completeness", "n") == 0
    assert ard.get("acr20.all.itt.all.visit_completeness", "missing") == 2


def test_missing_data_in_the_per_protocol_population():
    result = methods.missing_data(small_chapter(c.PER_PROTOCOL))
    # per-protocol: A and B only (P is not a completer): 4 expected values, 2 missing
    assert "2 of 4 scheduled" in result.values["missing_visits_text"]
    assert result.tables["missing_table"].to_frame().iloc[:, 2].tolist() == ["0/0", "0/0"]


def test_schedule_timeline_glues_the_recorded_schedule():
    result = methods.schedule_timeline(small_chapter())
    assert result.values["schedule_visits"] == "0, 12, 24"
    assert result.values["schedule_cycles"] == len(c.DOSING_CYCLE_START_WEEKS)
    assert result.values["schedule_doses_per_cycle"] == str(c.DOSES_PER_CYCLE)
    assert result.values["schedule_treatment_weeks"] == c.END_OF_TREATMENT_WEEK
    weeks = [r.week for r in result.ard.rows() if r.endpoint == methods.SCHEDULE]
    assert weeks == [0, 12, 24]
    assert result.figures["timeline_fig"].axes[0].get_xticks().tolist() == [0, 12, 24]


def test_eligibility_ranges_of_age_and_baseline_das28():
    result = methods.eligibility(small_chapter())
    # all randomized: ages 30, 50, 41; week-0 DAS28-ESR 4.551, 7.049, 5.5
    assert result.values["eligibility_age_observed"] == "30 to 50 years"
    assert result.values["eligibility_das28_observed"] == "4.55 to 7.05"
    assert result.values["eligibility_age"] == "18 to 70 years"
    assert result.ard.get("das28_esr.w0.itt.all.min_max", "max") == pytest.approx(7.049)


def test_population_table_counts_each_population_from_the_ard():
    result = methods.population_table(small_chapter())
    frame = result.tables["population_table"].to_frame().set_index("Population")
    assert frame.loc["Per-protocol population", "Ld-IL2 + MTX"] == "2"
    assert frame.loc["Per-protocol population", "Placebo + MTX"] == "0"
    assert frame.loc["Per-protocol population", "Analyzed in this edition"] == "yes"
    assert frame.loc["Intention-to-treat population", "Placebo + MTX"] == "1"
    assert result.ard.get("participants.all.pp.ldil2.count", "N") == 2


# ---------------------------------------------------------------------------------------------
# The shipped release
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    """The chapter object of the shipped release with the book's parameters."""
    from ldil2.book.chapter import Chapter
    from ldil2.data.release import load
    from ldil2.pipeline.config import PARAMETERS_FILE, read_parameters

    params = read_parameters(ROOT / PARAMETERS_FILE)
    return Chapter(params=params, release=load(ROOT / "data"))


def test_design_table_shows_the_published_and_the_release_counts(shipped):
    frame = methods.design_table(shipped).tables["design_table"].to_frame().set_index("Item")
    # published.csv: per-protocol 17 vs 23 (abstract); the release: 23 vs 24 randomized
    row = frame.loc["Analysis population as published"]
    assert row["Published"] == "Per-protocol: 17 vs 23" and row["Source"] == "abstract"
    assert row["This release"] == "Per-protocol: 17 vs 23"
    assert frame.loc["Design", "This release"].startswith("Randomized: 23 vs 24 (")


def test_simulation_assumptions_list_every_scenario_entry(shipped):
    from ldil2.simulate.scenario import load_scenario

    result = methods.simulation_assumptions(shipped)
    scenario = shipped.release.data_dir / shipped.release.metadata["scenario"]
    expected = len(load_scenario(scenario)["assumptions"])
    assert len(result.tables["assumptions_table"].rows) == expected
    calibration = result.tables["calibration_table"].to_frame()
    assert len(calibration) == len(shipped.release.published)
    # the abstract's week-24 ACR20 percentage on Ld-IL2 is reproduced
    fact = calibration.set_index("Published fact")["This release"]
    assert fact["ACR20 at week 24, Ld-IL2 + MTX: 76.5%"] == "76.5%: reproduced"
    # a P value of an unstated model agrees only within its factor: consistent, not reproduced
    p_row = next(v for k, v in fact.items() if k.startswith("P for the ACR20"))
    assert p_row.endswith((": consistent (within a factor of 2)", ": reproduced"))
    assumptions = result.tables["assumptions_table"].to_frame()
    assert list(assumptions.columns) == ["Assumption", "Value", "Why"]
    assert not assumptions["Assumption"].str.contains("_").any()  # words, not code names
    assert "Baseline CRP (mg/L)" in set(assumptions["Assumption"])


def test_models_table_describes_every_method_in_words(shipped):
    table = methods.model_descriptions(shipped).tables["models_table"].to_frame()
    assert len(table) == len(methods.MODEL_ROWS)
    assert not table["Method"].str.contains(r"\b[a-z]+_[a-z0-9_]+\b").any()
    assert table["Method"].str.contains("Newcombe").any()


def test_simulation_assumptions_for_trial_data_say_nothing_is_simulated(shipped):
    from ldil2.book.chapter import Chapter

    trial = replace(shipped.release, metadata={**shipped.release.metadata, "provenance": "trial"})
    ch = Chapter(params=shipped.params, release=trial)
    result = methods.simulation_assumptions(ch)
    assert "trial data" in result.values["assumptions_intro"]
    assert edition_facts(ch, methods.CHAPTER).values["simulated_notice"] == ""
    assert "trial data" in result.tables["assumptions_table"].to_frame().iloc[0, 0]
    assert result.tables["assumptions_table"].footnote[-1] == f"Release {trial.version}."


# ---------------------------------------------------------------------------------------------
# The four chapters of this area, executed as the build does on a small release
# ---------------------------------------------------------------------------------------------

CHAPTERS = ("methods", "participants", "consort", "data_contract")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executes_on_small_release_with_missing_visits(execute, small_release, chapter):
    from ldil2.results.format import is_ard_glue

    executed = execute(chapter, {}, data_dir=small_release)
    values = executed.glued
    assert notebook_errors(executed.notebook) == []
    assert values["release_version"] and values["population_label"]
    assert c.POPULATION_LABELS[c.PER_PROTOCOL] in values["population_label"]
    assert any(is_ard_glue(name) for name in values)  # the chapter recorded its ARD rows
    if chapter == "participants":
        # testing.small_release: 6 per arm, one withdrawal per arm
        assert values["flow_randomized"] == "12"
        assert values["flow_withdrawn_ldil2"] == values["flow_withdrawn_placebo"] == "1"
    assert_glued_outputs_well_formed(executed.notebook)
