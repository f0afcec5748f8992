"""Tests of ldil2.efficacy and of the methods, participants, primary, secondary, CONSORT and
data-contract chapters (executed through papermill and in the built book)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2 import efficacy

ROOT = Path(__file__).resolve().parents[1]


def make_subjects() -> pd.DataFrame:
    """Five participants: ldil2 = A (completed), B (withdrew wk 4, AE), C (withdrew wk 8, AE),
    placebo = D (completed, not in per-protocol), E (withdrew wk 2, consent, never dosed)."""
    return pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "B", "C", "D", "E"],
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 2,
            c.COMPLETED: pd.array([True, False, False, True, False], dtype="boolean"),
            c.WITHDRAWAL_WEEK: pd.array([None, 4, 8, None, 2], dtype="Int64"),
            c.WITHDRAWAL_REASON: pd.Series(
                [np.nan, "Adverse event", "Adverse event", np.nan, "Consent $withdrawn"],
                dtype="str",
            ),
            c.ITT: pd.array([True] * 5, dtype="boolean"),
            c.SAFETY: pd.array([True, True, True, True, False], dtype="boolean"),
            c.PER_PROTOCOL: pd.array([True, False, False, False, False], dtype="boolean"),
        }
    )


def test_flow_counts_counts_each_stage_per_arm():
    counts = efficacy.flow_counts(make_subjects())
    # by hand from make_subjects: ldil2 A, B, C; placebo D, E
    assert counts.loc["randomized"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 2}
    assert counts.loc["treated"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 1}
    assert counts.loc["withdrawn"].to_dict() == {c.ARM_LDIL2: 2, c.ARM_PLACEBO: 1}
    assert counts.loc["completed"].to_dict() == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 1}
    assert counts.loc["analysed_per_protocol"].to_dict() == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 0}
    assert counts.loc["analysed_safety"].to_dict() == {c.ARM_LDIL2: 3, c.ARM_PLACEBO: 1}


def test_withdrawal_reasons_groups_reason_with_count_and_weeks():
    subjects = make_subjects()
    assert efficacy.withdrawal_reasons(subjects, c.ARM_LDIL2) == ["Adverse event: 2 (week 4, 8)"]
    assert efficacy.withdrawal_reasons(subjects, c.ARM_PLACEBO) == [
        "Consent $withdrawn: 1 (week 2)"
    ]


def test_plot_consort_escapes_dollar_and_shows_counts():
    fig = efficacy.plot_consort(make_subjects())
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Randomized\nn = 5" in texts
    assert any(r"Consent \$withdrawn: 1 (week 2)" in t for t in texts)
    assert any("Withdrew before week 24: n = 2" in t for t in texts)


def test_plot_consort_draws_a_downward_arrow_between_consecutive_boxes():
    """Randomized -> allocated -> withdrew -> completed -> analysed, in each of the two arms: 8
    arrows, each pointing down and ending below where it starts (a regression: arrows clipped to
    the boxes vanished in the inline backend's tight bounding box)."""
    fig = efficacy.plot_consort(make_subjects())
    arrows = [a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None]
    centres = {t.get_position()[1] for t in fig.axes[0].texts if t.get_bbox_patch() is not None}
    assert len(arrows) == 8
    for arrow in arrows:
        y_start, y_end = arrow.xyann[1], arrow.xy[1]
        assert y_end < y_start
        # drawn between box edges, not from centre to centre (which relied on clipping)
        assert y_start not in centres and y_end not in centres


def test_population_counts_treats_missing_flag_as_false():
    subjects = make_subjects()
    subjects[c.PER_PROTOCOL] = pd.array([True, None, False, True, None], dtype="boolean")
    counts = efficacy.population_counts(subjects, c.PER_PROTOCOL)
    assert counts == {c.ARM_LDIL2: 1, c.ARM_PLACEBO: 1}


def test_result_rejects_numpy_scalars_and_duplicate_names():
    with pytest.raises(TypeError, match="acr20_p"):
        efficacy.Result(values={"acr20_p": np.float64(0.01)})
    with pytest.raises(ValueError, match="x"):
        efficacy.Result(values={"x": 1}, tables={"x": "<table></table>"})


def test_dosing_days_every_other_day_from_each_cycle_start():
    exposure = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A", "A", "A"],
            c.CYCLE: pd.array([1, 2, 3], dtype="Int64"),
            c.DOSES_PLANNED: pd.array([7, 7, 7], dtype="Int64"),
            c.DOSES_RECEIVED: pd.array([7, 6, 7], dtype="Int64"),
        }
    )
    days = efficacy.dosing_days(exposure)
    # protocol: cycles start weeks 0, 4, 8 (study days 1, 29, 57; day 1 = first dose),
    # 7 doses 2 days apart
    assert days[1] == [1, 3, 5, 7, 9, 11, 13]
    assert days[2][0] == 29 and days[3] == [57, 59, 61, 63, 65, 67, 69]


def _documented(x):
    """Toy score.

    Notes
    -----
    a + b
    times two

    References
    ----------
    Someone 2020.
    """
    return x


def _tabled():
    """Toy rule.

    Notes
    -----
    ======  ======
    x       label
    ======  ======
    <= 1    low
    ======  ======
    """


def test_docstring_sections_reads_numpy_sections():
    doc = efficacy.docstring_sections(_documented)
    assert doc["summary"] == "Toy score."
    assert doc["extended"] == ""
    assert doc["Notes"] == "a + b times two"
    assert doc["References"] == "Someone 2020."
    assert "Raises" not in doc


def test_docstring_sections_turns_rest_table_into_text():
    assert efficacy.docstring_sections(_tabled)["Notes"] == "x / label; <= 1 / low;"


def test_definition_text_prefers_extended_then_notes():
    assert efficacy.definition_text(_documented) == "Toy score. a + b times two"


def test_every_outcome_definition_states_a_formula_or_threshold():
    for outcome, func in efficacy.definition_functions():
        # every definition names a number: a coefficient, a cut-off or a percentage
        assert any(ch.isdigit() for ch in efficacy.definition_text(func)), outcome


def test_every_outcome_definition_cites_a_reference():
    # the definitions table takes its "Reference" column from the References section
    for outcome, func in efficacy.definition_functions():
        reference = efficacy.docstring_sections(func).get("References", "")
        assert re.search(r"(19|20)\d\d", reference), outcome


# ---------------------------------------------------------------------------------------------
# Endpoint helpers on small synthetic frames
# ---------------------------------------------------------------------------------------------


def make_analysis(week24: dict[str, list[bool | None]]) -> pd.DataFrame:
    """Analysis rows at week 24 for `acr20` per arm (None = missing response), one subject each,
    all per-protocol."""
    rows = []
    for arm, values in week24.items():
        for i, value in enumerate(values):
            rows.append({c.SUBJECT_ID: f"{arm}{i}", c.ARM: arm, c.WEEK: 24, "acr20": value})
    table = pd.DataFrame(rows)
    table["acr20"] = table["acr20"].astype("boolean")
    for flag in c.POPULATION_FLAGS:
        table[flag] = pd.array([True] * len(table), dtype="boolean")
    return table


def test_comparison_values_formats_counts_difference_and_p():
    from ldil2 import stats

    # ldil2 3/4 responders, placebo 1/4: 75.0% vs 25.0%, difference 50.0 points
    table = make_analysis({c.ARM_LDIL2: [True, True, True, False],
                           c.ARM_PLACEBO: [True, False, False, False, None]})  # fmt: skip
    comparison = stats.response_by_arm(table, "acr20", 24, c.PER_PROTOCOL)
    values = efficacy.comparison_values("acr20_w24", comparison)
    assert values["acr20_w24_ldil2_pct"] == "75.0%"
    assert values["acr20_w24_ldil2_nN"] == "3/4 (75.0%)"
    # the missing response is left out of the placebo denominator (observed cases)
    assert values["acr20_w24_placebo_nN"] == "1/4 (25.0%)"
    assert values["acr20_w24_diff"].startswith("50.0 percentage points (95% CI ")
    # scipy: fisher_exact([[3, 1], [1, 3]]) two-sided p = 0.486
    assert values["acr20_w24_fisher"] == "P = 0.486"
    assert all(type(v) is str for v in values.values())


def test_eular_shares_and_table_count_each_category_per_arm_and_visit():
    table = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 3,
            c.WEEK: [0, 12, 12, 0, 12, 12],
            "eular": ["none", "good", "moderate", None, "none", None],
        }
    )
    shares = efficacy.eular_shares(table).set_index([c.ARM, c.WEEK, "eular"])
    # ldil2 week 12: good 1 of 2 (50%); placebo week 12: none 1 of 1 (100%); baseline left out
    assert shares.loc[(c.ARM_LDIL2, 12, "good"), "percent"] == 50.0
    assert shares.loc[(c.ARM_PLACEBO, 12, "none"), "n"] == 1
    assert shares.loc[(c.ARM_PLACEBO, 12, "good"), "total"] == 1
    assert 0 not in shares.index.get_level_values(c.WEEK)
    frame = efficacy.eular_table_frame(efficacy.eular_shares(table))
    good = frame[frame["EULAR response"] == "Good"].iloc[0]
    assert good[f"{c.ARM_LABELS[c.ARM_LDIL2]}, n/N (%)"] == "1/2 (50.0%)"
    assert good[f"{c.ARM_LABELS[c.ARM_PLACEBO]}, n/N (%)"] == "0/1 (0.0%)"


def test_format_statistic_as_published():
    assert efficacy.format_statistic(70.588235, "percent") == "70.6%"
    assert efficacy.format_statistic(17.0, "count") == "17"
    assert efficacy.format_statistic(0.01746, "p_value") == "0.017"
    assert efficacy.format_statistic(float("nan"), "p_value") == "not computable"


def test_mean_text():
    row = {"mean": -16.2, "ci_low": -21.5, "ci_high": -10.9, "n": 17}
    assert efficacy.mean_text(row) == "-16.2 (95% CI -21.5 to -10.9; n = 17)"
    assert efficacy.mean_text({"mean": 2.0, "ci_low": np.nan, "ci_high": np.nan, "n": 1}) == (
        "2.0 (n = 1)"
    )


def test_endpoint_labels_cover_every_reported_binary_endpoint():
    for endpoint in efficacy.FOREST_ENDPOINTS:
        assert endpoint in efficacy.ENDPOINT_LABELS


# ---------------------------------------------------------------------------------------------
# Chapters executed through papermill on a small release, and in the built book
# ---------------------------------------------------------------------------------------------

CHAPTERS = ("methods", "participants", "primary", "secondary", "consort", "data_contract")


@pytest.fixture(scope="module")
def small_release(tmp_path_factory: pytest.TempPathFactory):
    """Six participants per arm, one withdrawn per arm, about one visit in ten missed."""
    from ldil2 import data, testing

    path = testing.small_release(tmp_path_factory.mktemp("small"))
    release = data.load(path)
    # the release really has what the chapters must cope with
    assert (~release.subjects[c.COMPLETED]).groupby(release.subjects[c.ARM]).sum().min() >= 1
    scheduled = len(release.metadata[c.VISIT_SCHEDULE])
    assert release.assessments.groupby(c.SUBJECT_ID).size().lt(scheduled).sum() > 0
    return path


def errors(notebook) -> list[str]:
    """Error outputs and standard-error streams of an executed notebook."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" or output.get("name") == "stderr":
                found.append(str(output)[:300])
    return found


SMALL_RUNS = [(name, {}) for name in CHAPTERS] + [
    ("primary", {"population": "itt", "imputation": "nri"}),
    ("secondary", {"population": "itt", "imputation": "nri"}),
]


@pytest.mark.parametrize(("chapter", "overrides"), SMALL_RUNS)
def test_chapter_executes_on_small_release_with_missing_visits(
    execute, small_release, chapter, overrides
):
    executed = execute(chapter, overrides, data_dir=small_release)
    values = executed.glued
    assert errors(executed.notebook) == []
    assert values["release_version"] and values["population_label"]
    population = overrides.get("population", c.PER_PROTOCOL)
    assert c.POPULATION_LABELS[population] in values["population_label"]
    n_n = r"'\d+/\d+ \(\d+\.\d%\)'"  # e.g. '4/5 (80.0%)'
    if chapter == "participants":
        # testing.small_release: 6 per arm, one withdrawal per arm
        assert values["flow_randomized"] == "12"
        assert values["flow_withdrawn_ldil2"] == values["flow_withdrawn_placebo"] == "1"
    if chapter == "primary":
        assert re.fullmatch(n_n, values[f"acr20_w{c.LAST_WEEK}_ldil2_nN"])
        expected_n = {c.PER_PROTOCOL: "5", c.ITT: "6"}[population]  # completers vs randomized
        assert values["n_ldil2"] == expected_n
        denominator = values[f"acr20_w{c.LAST_WEEK}_ldil2_nN"].split("/")[1].split(" ")[0]
        assert denominator == expected_n  # NRI (ITT) keeps the withdrawn participant
    if chapter == "secondary":
        assert re.fullmatch(n_n, values[f"haq_mcid_w{c.LAST_WEEK}_placebo_nN"])
    # every glued figure is an image, every glued table an HTML table with caption and footnote
    for cell in executed.notebook.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name", "")
            data = output.get("data", {})
            if name.endswith("_fig"):
                assert any(k.endswith("image/png") for k in data), name
            if name.endswith("_table"):
                page = next(v for k, v in data.items() if k.endswith("text/html"))
                assert "<caption>" in page and "<tfoot>" in page, name


PRIMARY_ABSTRACT = ("70.6%", "43.5%", "76.5%", "56.5%")
"""The abstract's ACR20 percentages (weeks 12 and 24, Ld-IL2 then placebo)."""


@pytest.mark.build
def test_built_primary_page_shows_the_abstract_acr20_percentages(built_book):
    page = (built_book / "html" / "chapters" / "primary.html").read_text(encoding="utf-8")
    for percent in PRIMARY_ABSTRACT:
        # glued into the prose from the computation, and in the published-vs-book table
        assert page.count(percent) >= 2, percent
    assert "12/17 (70.6%)" in page and "10/23 (43.5%)" in page


FIGURES_AND_TABLES = {
    "methods": (1, 8),
    "participants": (1, 3),
    "primary": (3, 6),
    "secondary": (6, 7),
    "consort": (0, 0),
    "data_contract": (0, 1),
}
"""Figures and tables each chapter glues (see the chapter sources)."""


@pytest.mark.build
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_built_chapter_has_figures_tables_and_no_error_output(built_book, chapter):
    from ldil2 import data

    page = (built_book / "html" / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert "Traceback" not in page and "output stderr" not in page and "output error" not in page
    assert data.load(ROOT / "data", tables=[]).version in page
    n_figures, n_tables = FIGURES_AND_TABLES[chapter]
    assert page.count("<figure") == n_figures
    assert page.count('class="ldil2-table"') == n_tables
    for image in re.findall(r"<img [^>]*_images/[^>]*>", page):
        assert re.search(r'alt="[^"]+"', image), image


@pytest.mark.build
def test_built_consort_checklist_links_resolve_to_sections(built_book):
    html_dir = built_book / "html" / "chapters"
    page = (html_dir / "consort.html").read_text(encoding="utf-8")
    for label in ("participants-flow", "participants-baseline", "primary-acr20", "methods-missing"):
        assert f"#{label}" in page, label
        target = {"participants": "participants.html", "primary": "primary.html",
                  "methods": "methods.html"}[label.split("-")[0]]  # fmt: skip
        assert f'id="{label}"' in (html_dir / target).read_text(encoding="utf-8"), label


def test_mean_cell_for_tables():
    row = {"mean": -0.584, "ci_low": -0.961, "ci_high": -0.2, "n": 17}
    assert efficacy.mean_cell(row, 2) == "-0.58 (-0.96 to -0.20), n = 17"
    assert efficacy.mean_cell({"mean": 1.0, "ci_low": np.nan, "ci_high": np.nan, "n": 1}) == (
        "1.0, n = 1"
    )


def test_gee_table_prints_not_estimable_instead_of_nan():
    from types import SimpleNamespace

    from ldil2 import stats

    per_visit = pd.DataFrame(
        {
            c.WEEK: [4, 12],
            "estimate": [np.nan, 2.0],
            "ci_low": [np.nan, 1.0],
            "ci_high": [np.nan, 4.0],
            "p_value": [np.nan, 0.05],
            "risk_difference": [np.nan, 0.2],
            "rd_ci_low": [np.nan, 0.1],
            "rd_ci_high": [np.nan, 0.3],
            "estimable": [False, True],
        }
    )
    result = stats.LongitudinalResult(
        estimate=2.0, ci_low=1.0, ci_high=4.0, p_value=0.05, measure="odds ratio",
        per_visit=per_visit, n_subjects={c.ARM_LDIL2: 2, c.ARM_PLACEBO: 2},
        n_observations=8, weeks=(4, 12), description="Logistic GEE.",
    )  # fmt: skip
    subjects = pd.DataFrame({c.ARM: list(c.ARMS), c.PER_PROTOCOL: [True, True]})
    release = SimpleNamespace(subjects=subjects, is_simulated=True, version="test")
    ch = SimpleNamespace(release=release, population=c.PER_PROTOCOL)
    frame = efficacy.gee_table(ch, result, "ACR20").to_frame().set_index("Week")
    assert frame.loc["4"].tolist() == ["not estimable"] * 3
    assert "nan" not in " ".join(frame.to_numpy().ravel())
    # week 12 estimable: OR 2.00 (1.00 to 4.00), RD 20.0 (10.0 to 30.0) points, P = 0.050
    assert frame.loc["12"].tolist() == ["2.00 (1.00 to 4.00)", "20.0 (10.0 to 30.0)", "P = 0.050"]


def test_dosing_days_without_exposure_uses_the_protocol_schedule():
    exposure = pd.DataFrame(columns=[c.SUBJECT_ID, c.CYCLE, c.DOSES_PLANNED, c.DOSES_RECEIVED])
    days = efficacy.dosing_days(exposure)
    assert [len(d) for d in days.values()] == [c.DOSES_PER_CYCLE] * len(c.DOSING_CYCLE_START_WEEKS)
    assert days == c.dosing_days()  # the contract's convention: day 1 = first dose


# ---------------------------------------------------------------------------------------------
# Bundles on the shipped release (no kernel)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    """The chapter object of the shipped release with the book's parameters."""
    from ldil2 import chapter, data

    params = chapter.read_parameters(ROOT / chapter.PARAMETERS_FILE)
    return chapter.Chapter(params=params, release=data.load(ROOT / "data"))


def test_primary_across_visit_models_are_the_ledgers(shipped):
    from ldil2 import ledger

    # the chapter and the reproduction ledger must report the same published analyses
    for endpoint, fit in (("acr20", efficacy.binary_across_visits),
                          ("cdai", efficacy.change_across_visits)):  # fmt: skip
        chapter_p = fit(shipped, endpoint).p_value
        ledger_p = ledger.published_analysis(shipped.analysis, endpoint, c.PER_PROTOCOL).p_value
        assert chapter_p == pytest.approx(ledger_p)


def test_acr20_primary_glues_the_published_counts(shipped):
    values = efficacy.acr20_primary(shipped).values
    # published record: 12/17 vs 10/23 at week 12, 13/17 vs 13/23 at week 24
    assert values["acr20_w12_ldil2_nN"] == "12/17 (70.6%)"
    assert values["acr20_w12_placebo_nN"] == "10/23 (43.5%)"
    assert values["acr20_w24_ldil2_pct"] == "76.5%"
    assert values["acr20_w24_placebo_pct"] == "56.5%"
    assert values["acr20_gee_published_p"] == "P = 0.014"


def test_simulation_assumptions_list_every_scenario_entry(shipped):
    from ldil2 import simulate

    result = efficacy.simulation_assumptions(shipped)
    scenario = shipped.release.data_dir / shipped.release.metadata["scenario"]
    expected = len(simulate.load_scenario(scenario)["assumptions"])
    assert len(result.tables["assumptions_table"].rows) == expected
    calibration = result.tables["calibration_table"].to_frame()
    assert len(calibration) == len(shipped.release.published)


def test_simulation_assumptions_for_trial_data_say_nothing_is_simulated(shipped):
    from dataclasses import replace

    from ldil2 import chapter

    trial = replace(shipped.release, metadata={**shipped.release.metadata, "provenance": "trial"})
    ch = chapter.Chapter(params=shipped.params, release=trial)
    result = efficacy.simulation_assumptions(ch)
    assert "trial data" in result.values["assumptions_intro"]
    assert efficacy.edition_facts(ch).values["simulated_notice"] == ""
    assert "Trial data" in result.tables["assumptions_table"].footnote[-1]
