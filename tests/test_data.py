"""Tests of ldil2.data: every contract rule with a small broken release and its exact message.

Each test copies one small valid release (ldil2.testing.small_release), breaks one thing and
checks the message naming file, CSV line (header = line 1), column, value and rule. The expected
messages are written out literally from the data contract (../shared/design/data-contract.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ldil2 import contract as c
from ldil2 import testing
from ldil2.__main__ import main
from ldil2.data.release import ReleaseError, UndeclaredTableError, load, validate_command
from ldil2.data.schemas import SCHEMAS, contract_table


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small valid release per module: 6 per arm, one withdrawal per arm, missed visits."""
    return testing.small_release(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def release_dir(pristine: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small release that a test may break."""
    return Path(shutil.copytree(pristine, tmp_path / "release"))


def problems_of(data_dir: Path) -> list[str]:
    with pytest.raises(ReleaseError) as caught:
        load(data_dir)
    messages = [str(p) for p in caught.value.problems]
    assert str(caught.value) == "\n".join(messages)
    return messages


def withdrawn_subject(data_dir: Path) -> pd.Series:
    subjects = testing.read_text_table(data_dir, c.SUBJECTS)
    return subjects[subjects[c.COMPLETED] == "false"].iloc[0]


def completed_subject(data_dir: Path) -> pd.Series:
    subjects = testing.read_text_table(data_dir, c.SUBJECTS)
    return subjects[subjects[c.COMPLETED] == "true"].iloc[0]


def test_small_release_is_valid_and_typed(pristine: Path) -> None:
    release = load(pristine)
    assert release.is_simulated and release.provenance == "simulated"
    assert release.version == release.metadata["version"]
    subjects = release.subjects
    assert str(subjects[c.AGE].dtype) == "Int64"
    assert str(subjects[c.COMPLETED].dtype) == "boolean"
    assert str(subjects[c.DISEASE_DURATION].dtype) == "float64"
    assert str(release.assessments[c.TJC28].dtype) == "Int64"
    assert str(release.assessments[c.ESR].dtype) == "float64"
    assert pd.api.types.is_string_dtype(subjects[c.ARM])
    # withdrawal_week is empty for completers (missing), filled for the withdrawn
    assert subjects.loc[subjects[c.COMPLETED], c.WITHDRAWAL_WEEK].isna().all()
    assert subjects.loc[~subjects[c.COMPLETED], c.WITHDRAWAL_WEEK].notna().all()
    assert list(release.published.columns)[:3] == ["key", "source", "statement"]


def test_load_tables_reads_only_the_declared_files(release_dir: Path) -> None:
    testing.set_value(release_dir, c.LABS, 2, c.ALT, "-1")  # not read below: not checked
    release = load(release_dir, tables=[c.ASSESSMENTS])
    assert len(release.assessments) > 0 and len(release.subjects) == 12
    assert release.tables == (c.SUBJECTS, c.ASSESSMENTS)
    assert set(release.frames) == {c.SUBJECTS, c.ASSESSMENTS}


def test_reading_an_undeclared_table_raises_naming_the_file(pristine: Path) -> None:
    # issue 15: a table not declared under `ldil2: reads:` is an error, never an empty frame
    release = load(pristine, tables=[c.ASSESSMENTS])
    with pytest.raises(UndeclaredTableError, match="labs.csv") as caught:
        _ = release.labs
    assert "ldil2: reads:" in str(caught.value)
    assert caught.value.file == c.LABS
    with pytest.raises(UndeclaredTableError, match="exposure.csv"):
        release.table(c.EXPOSURE)


@pytest.mark.parametrize(
    ("attribute", "file"),
    [
        ("assessments", c.ASSESSMENTS),
        ("adverse_events", c.ADVERSE_EVENTS),
        ("labs", c.LABS),
        ("immunology", c.IMMUNOLOGY),
        ("exposure", c.EXPOSURE),
    ],
)
def test_every_table_attribute_raises_when_not_read(
    pristine: Path, attribute: str, file: str
) -> None:
    release = load(pristine, tables=[])
    assert release.tables == (c.SUBJECTS,)
    with pytest.raises(UndeclaredTableError, match=file.replace(".", r"\.")):
        getattr(release, attribute)


def test_undeclared_table_error_is_a_lookup_error_not_a_release_error() -> None:
    # a chapter's missing declaration is not a broken release: `validate` must not report it
    error = UndeclaredTableError(c.IMMUNOLOGY)
    assert isinstance(error, LookupError) and not isinstance(error, ReleaseError)
    assert str(error).startswith("immunology.csv ")


def test_every_table_read_when_none_is_declared(pristine: Path) -> None:
    release = load(pristine)
    assert release.tables == c.RELEASE_TABLES
    for file in c.RELEASE_TABLES:
        assert list(release.table(file).columns)[: len(SCHEMAS[file].columns)] == list(
            SCHEMAS[file].columns
        )


def test_load_rejects_unknown_table_name(pristine: Path) -> None:
    with pytest.raises(ValueError, match="unknown file"):
        load(pristine, tables=["visits.csv"])


# One broken value per rule: (file, row selector, column, new value, rule as reported).
SINGLE_VALUE_RULES = [
    (c.SUBJECTS, {}, c.ARM, "active", "one of ldil2, placebo"),
    (c.SUBJECTS, {}, c.ARM, "", "not empty"),
    (c.SUBJECTS, {}, c.AGE, "75", "18 <= age <= 70"),
    (c.SUBJECTS, {}, c.AGE, "17", "18 <= age <= 70"),
    (c.SUBJECTS, {}, c.AGE, "forty", "an integer"),
    (c.SUBJECTS, {}, c.AGE, "40.5", "an integer"),
    (c.SUBJECTS, {}, c.SEX, "X", "one of F, M"),
    (c.SUBJECTS, {}, c.DISEASE_DURATION, "-0.5", "disease_duration_years >= 0"),
    (c.SUBJECTS, {}, c.RF_POSITIVE, "maybe", "true or false"),
    (c.SUBJECTS, {}, c.MTX_DOSE, "0", "mtx_dose_mg_week > 0"),
    (c.SUBJECTS, {}, c.ITT, "false", "itt is true (all randomized)"),
    (c.ASSESSMENTS, {c.WEEK: 2}, c.WEEK, "30", "0 <= week <= 24"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.TJC28, "29", "0 <= tjc28 <= 28"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.SJC28, "-1", "0 <= sjc28 <= 28"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.TJC68, "69", "0 <= tjc68 <= 68"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.SJC66, "67", "0 <= sjc66 <= 66"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.PTGA, "101", "0 <= ptga_mm <= 100"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.PHGA, "-3", "0 <= phga_mm <= 100"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.PAIN, "n/a", "a number"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.HAQ, "1.1", "haq_di is a multiple of 0.125"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.HAQ, "3.125", "0 <= haq_di <= 3"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.ESR, "0", "esr_mm_h > 0"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.ESR, "-2", "esr_mm_h > 0"),
    (c.ASSESSMENTS, {c.WEEK: 0}, c.CRP, "-0.1", "crp_mg_l >= 0"),
    (c.ADVERSE_EVENTS, {}, c.AE_ONSET_DAY, "0", "onset_day >= 1"),
    (c.ADVERSE_EVENTS, {}, c.AE_GRADE, "6", "1 <= grade <= 5"),
    (c.ADVERSE_EVENTS, {}, c.AE_SERIOUS, "yes?", "true or false"),
    (c.ADVERSE_EVENTS, {}, c.AE_TERM, " ", "not empty"),
    (c.LABS, {}, "alt_u_l", "-1", "alt_u_l >= 0"),
    (c.LABS, {}, "hemoglobin_g_l", "low", "a number"),
    (c.IMMUNOLOGY, {}, "treg_pct_cd4", "120", "0 <= treg_pct_cd4 <= 100"),
    (c.IMMUNOLOGY, {}, "il21_pg_ml", "-5", "il21_pg_ml >= 0"),
    (c.EXPOSURE, {}, c.CYCLE, "4", "1 <= cycle <= 3"),
    (c.EXPOSURE, {}, c.DOSES_RECEIVED, "8", "0 <= doses_received <= 7"),
]


@pytest.mark.parametrize(("file", "where", "column", "value", "rule"), SINGLE_VALUE_RULES)
def test_load_reports_a_broken_value(
    release_dir: Path, file: str, where: dict, column: str, value: str, rule: str
) -> None:
    line = testing.line_of(release_dir, file, **where) if where else 2
    testing.set_value(release_dir, file, line, column, value)
    shown = value if value.strip() != "" else "(empty)"
    expected = f'{file} line {line}, column {column}: {shown} violates "{rule}"'
    assert expected in problems_of(release_dir)


def test_non_numeric_value_is_the_only_problem_of_its_cell(release_dir: Path) -> None:
    testing.set_value(release_dir, c.ASSESSMENTS, 2, c.ESR, "fast")
    assert problems_of(release_dir) == [
        f'{c.ASSESSMENTS} line 2, column {c.ESR}: fast violates "a number"'
    ]


def test_duplicate_subject_id(release_dir: Path) -> None:
    testing.set_value(release_dir, c.SUBJECTS, 3, c.SUBJECT_ID, "S001")
    problems = problems_of(release_dir)
    assert f'{c.SUBJECTS} line 3, column subject_id: S001 violates "subject_id is unique"' in (
        problems
    )
    assert f'{c.SUBJECTS} line 2, column subject_id: S001 violates "subject_id is unique"' in (
        problems
    )


def test_unknown_subject_id_in_every_file(release_dir: Path) -> None:
    for file in (c.ASSESSMENTS, c.LABS, c.IMMUNOLOGY, c.EXPOSURE, c.ADVERSE_EVENTS):
        testing.set_value(release_dir, file, 2, c.SUBJECT_ID, "X99")
    problems = problems_of(release_dir)
    for file in (c.ASSESSMENTS, c.ADVERSE_EVENTS, c.LABS, c.IMMUNOLOGY, c.EXPOSURE):
        rule = "subject_id exists in subjects.csv"
        assert f'{file} line 2, column subject_id: X99 violates "{rule}"' in problems


def test_duplicate_subject_week(release_dir: Path) -> None:
    # line 3 is the second visit of the first participant; make it a second week 0
    testing.set_value(release_dir, c.ASSESSMENTS, 3, c.WEEK, "0")
    assert problems_of(release_dir) == [
        f'{c.ASSESSMENTS} line 3, column week: 0 violates "(subject_id, week) is unique"'
    ]


def test_duplicate_subject_cycle_in_exposure(release_dir: Path) -> None:
    testing.set_value(release_dir, c.EXPOSURE, 3, c.CYCLE, "1")
    assert problems_of(release_dir) == [
        f'{c.EXPOSURE} line 3, column cycle: 1 violates "(subject_id, cycle) is unique"'
    ]


def test_missing_baseline_visit(release_dir: Path) -> None:
    subject = completed_subject(release_dir)[c.SUBJECT_ID]
    testing.drop_rows(release_dir, c.ASSESSMENTS, subject_id=subject, week=0)
    line = testing.line_of(release_dir, c.SUBJECTS, subject_id=subject)
    rule = "has a week 0 visit in assessments.csv"
    assert problems_of(release_dir) == [
        f'{c.SUBJECTS} line {line}, column subject_id: {subject} violates "{rule}"'
    ]


def test_visit_after_withdrawal(release_dir: Path) -> None:
    subject = withdrawn_subject(release_dir)
    last = int(subject[c.WITHDRAWAL_WEEK])
    line = testing.line_of(release_dir, c.ASSESSMENTS, subject_id=subject[c.SUBJECT_ID], week=0)
    testing.set_value(release_dir, c.ASSESSMENTS, line, c.WEEK, "24")
    problems = problems_of(release_dir)
    assert (
        f'{c.ASSESSMENTS} line {line}, column week: 24 violates "week <= withdrawal_week ({last})"'
        in problems
    )


def test_tjc28_greater_than_tjc68(release_dir: Path) -> None:
    testing.set_value(release_dir, c.ASSESSMENTS, 2, c.TJC28, "20")
    testing.set_value(release_dir, c.ASSESSMENTS, 2, c.TJC68, "12")
    assert problems_of(release_dir) == [
        f'{c.ASSESSMENTS} line 2, column tjc68: 12 violates "tjc68 >= tjc28 (20)"'
    ]


def test_sjc28_greater_than_sjc66(release_dir: Path) -> None:
    testing.set_value(release_dir, c.ASSESSMENTS, 2, c.SJC28, "15")
    testing.set_value(release_dir, c.ASSESSMENTS, 2, c.SJC66, "9")
    assert problems_of(release_dir) == [
        f'{c.ASSESSMENTS} line 2, column sjc66: 9 violates "sjc66 >= sjc28 (15)"'
    ]


def test_completed_with_a_withdrawal_week(release_dir: Path) -> None:
    line = testing.line_of(release_dir, c.SUBJECTS, completed="true")
    testing.set_value(release_dir, c.SUBJECTS, line, c.WITHDRAWAL_WEEK, "24")
    assert problems_of(release_dir) == [
        f"{c.SUBJECTS} line {line}, column withdrawal_week: 24 violates "
        '"withdrawal_week empty iff completed"'
    ]


def test_withdrawn_without_reason(release_dir: Path) -> None:
    line = testing.line_of(release_dir, c.SUBJECTS, completed="false")
    testing.set_value(release_dir, c.SUBJECTS, line, c.WITHDRAWAL_REASON, "")
    assert problems_of(release_dir) == [
        f"{c.SUBJECTS} line {line}, column withdrawal_reason: (empty) violates "
        '"withdrawal_reason empty iff completed"'
    ]


def test_adverse_event_rules(release_dir: Path) -> None:
    events = testing.read_text_table(release_dir, c.ADVERSE_EVENTS)
    testing.set_value(release_dir, c.ADVERSE_EVENTS, 3, c.AE_ID, events.at[0, c.AE_ID])
    onset = int(events.at[2, c.AE_ONSET_DAY])
    testing.set_value(release_dir, c.ADVERSE_EVENTS, 4, c.AE_END_DAY, str(onset - 1))
    testing.set_value(release_dir, c.ADVERSE_EVENTS, 4, c.AE_ONSET_DAY, str(onset))
    subject = events.at[4, c.SUBJECT_ID]
    subject_line = testing.line_of(release_dir, c.SUBJECTS, subject_id=subject)
    testing.set_value(release_dir, c.SUBJECTS, subject_line, c.SAFETY, "false")
    problems = problems_of(release_dir)
    first = events.at[0, c.AE_ID]
    assert f'{c.ADVERSE_EVENTS} line 3, column ae_id: {first} violates "ae_id is unique"' in (
        problems
    )
    assert (
        f"{c.ADVERSE_EVENTS} line 4, column end_day: {onset - 1} violates "
        f'"end_day >= onset_day ({onset})"' in problems
    )
    assert (
        f"{c.ADVERSE_EVENTS} line 6, column subject_id: {subject} violates "
        '"subject is in the safety population"' in problems
    )


def test_doses_received_above_planned(release_dir: Path) -> None:
    testing.set_value(release_dir, c.EXPOSURE, 2, c.DOSES_PLANNED, "5")
    testing.set_value(release_dir, c.EXPOSURE, 2, c.DOSES_RECEIVED, "6")
    assert problems_of(release_dir) == [
        f'{c.EXPOSURE} line 2, column doses_received: 6 violates "doses_received <= '
        'doses_planned (5)"'
    ]


def test_missing_file(release_dir: Path) -> None:
    testing.remove_file(release_dir, c.LABS)
    assert problems_of(release_dir) == [f'{c.LABS}: (missing) violates "file present"']


def test_unreadable_files(release_dir: Path) -> None:
    (release_dir / c.LABS).write_text("")
    (release_dir / c.EXPOSURE).write_bytes(b"subject_id,cycle\n\xff\xfe,1\n")
    (release_dir / c.METADATA).write_text("version: [unclosed\n")
    problems = problems_of(release_dir)
    assert [p.split(":")[0] for p in problems] == [c.LABS, c.EXPOSURE, c.METADATA]
    csv_rule = 'violates "a UTF-8 CSV file with a header row"'
    assert problems[0] == f"{c.LABS}: (No columns to parse from file) {csv_rule}"
    assert problems[1].endswith(csv_rule)
    assert problems[2].endswith('violates "valid UTF-8 YAML"')


def test_unreadable_subjects_file_is_one_problem(release_dir: Path) -> None:
    (release_dir / c.SUBJECTS).write_bytes(b"\xff\xfe\x00")
    problems = problems_of(release_dir)
    assert len(problems) == 1 and problems[0].startswith(f"{c.SUBJECTS}: (")


def test_missing_column(release_dir: Path) -> None:
    testing.drop_column(release_dir, c.ASSESSMENTS, c.CRP)
    assert problems_of(release_dir) == [
        f'{c.ASSESSMENTS}, column crp_mg_l: (missing) violates "column present"'
    ]


def test_extra_columns_are_allowed(release_dir: Path) -> None:
    frame = testing.read_text_table(release_dir, c.SUBJECTS).assign(site="Beijing")
    frame.to_csv(release_dir / c.SUBJECTS, index=False, lineterminator="\n")
    assert (load(release_dir).subjects["site"] == "Beijing").all()


def test_metadata_rules(release_dir: Path) -> None:
    path = release_dir / c.METADATA
    metadata = yaml.safe_load(path.read_text())
    del metadata["version"], metadata["seed"]
    metadata["provenance"] = "simulated"
    path.write_text(yaml.safe_dump(metadata))
    assert problems_of(release_dir) == [
        f'{c.METADATA}, column version: (missing) violates "key present"',
        f'{c.METADATA}, column seed: (missing) violates "key present for simulated data"',
    ]
    metadata.update(version="1", provenance="guess")
    path.write_text(yaml.safe_dump(metadata))
    assert problems_of(release_dir) == [
        f'{c.METADATA}, column provenance: guess violates "one of simulated, trial"'
    ]


def test_metadata_assessed_for_eligibility_is_optional_and_a_count(release_dir: Path) -> None:
    path = release_dir / c.METADATA
    metadata = yaml.safe_load(path.read_text())
    assert c.META_ASSESSED not in metadata  # the shipped release does not hold it ...
    load(release_dir, tables=[])  # ... and validates
    for value in (60, 0):
        path.write_text(yaml.safe_dump({**metadata, c.META_ASSESSED: value}))
        assert load(release_dir, tables=[]).metadata[c.META_ASSESSED] == value
    for value in (-1, "many", True):
        path.write_text(yaml.safe_dump({**metadata, c.META_ASSESSED: value}))
        assert problems_of(release_dir) == [
            f'{c.METADATA}, column {c.META_ASSESSED}: {value} violates "an integer >= 0"'
        ], value


def test_published_record_rules(release_dir: Path) -> None:
    testing.set_value(release_dir, c.PUBLISHED, 2, "statistic", "mean")
    testing.set_value(release_dir, c.PUBLISHED, 3, "value", "high")
    assert problems_of(release_dir) == [
        f'{c.PUBLISHED} line 2, column statistic: mean violates "one of percent, count, p_value"',
        f'{c.PUBLISHED} line 3, column value: high violates "a number"',
    ]


def test_every_problem_is_listed_in_file_and_line_order(release_dir: Path) -> None:
    testing.set_value(release_dir, c.ASSESSMENTS, 5, c.ESR, "0")
    testing.set_value(release_dir, c.ASSESSMENTS, 3, c.HAQ, "0.3")
    testing.set_value(release_dir, c.SUBJECTS, 4, c.ARM, "ldil")
    testing.set_value(release_dir, c.LABS, 2, "wbc_10e9_l", "x")
    assert problems_of(release_dir) == [
        f'{c.SUBJECTS} line 4, column arm: ldil violates "one of ldil2, placebo"',
        f'{c.ASSESSMENTS} line 3, column haq_di: 0.3 violates "haq_di is a multiple of 0.125"',
        f'{c.ASSESSMENTS} line 5, column esr_mm_h: 0 violates "esr_mm_h > 0"',
        f'{c.LABS} line 2, column wbc_10e9_l: x violates "a number"',
    ]


def test_validate_command_exit_codes(release_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert validate_command(release_dir) == 0
    testing.set_value(release_dir, c.ASSESSMENTS, 2, c.ESR, "0")
    testing.set_value(release_dir, c.SUBJECTS, 2, c.AGE, "90")
    assert main(["validate", str(release_dir)]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s)" in out
    assert f'{c.SUBJECTS} line 2, column age: 90 violates "18 <= age <= 70"' in out
    assert f'{c.ASSESSMENTS} line 2, column esr_mm_h: 0 violates "esr_mm_h > 0"' in out


def test_validate_shipped_data_exits_zero() -> None:
    assert main(["validate", str(testing.SHIPPED_DATA)]) == 0


def test_contract_table_lists_every_schema_column() -> None:
    table = contract_table()
    assert list(table.columns) == ["file", "column", "type", "rule", "unit", "description"]
    expected = [(f, col) for f, schema in SCHEMAS.items() for col in schema.columns]
    assert list(zip(table["file"], table["column"], strict=True)) == expected
    esr = table[(table["file"] == c.ASSESSMENTS) & (table["column"] == c.ESR)].iloc[0]
    assert (esr["type"], esr["rule"], esr["unit"]) == (
        "float",
        "esr_mm_h > 0; may be empty",
        "mm/h",
    )
    tjc68 = table[(table["file"] == c.ASSESSMENTS) & (table["column"] == c.TJC68)].iloc[0]
    assert tjc68["rule"] == "0 <= tjc68 <= 68; tjc68 >= tjc28; may be empty"
    for measure in (*c.ASSESSMENT_MEASURES, *c.LAB_MEASURES, *c.IMMUNOLOGY_MEASURES):
        assert measure in set(table["column"])
