"""Tests of ldil2.tables on small hand-made frames: escaping, captions, footnotes, counts."""

from types import SimpleNamespace

import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from ldil2 import contract as c
from ldil2 import stats, tables

RELEASE_INFO = {"is_simulated": True, "version": "2099.1.1"}


def _subjects(n_ldil2=3, n_placebo=2):
    ids = [f"A{i}" for i in range(n_ldil2)] + [f"P{i}" for i in range(n_placebo)]
    arms = [c.ARM_LDIL2] * n_ldil2 + [c.ARM_PLACEBO] * n_placebo
    frame = pd.DataFrame({c.SUBJECT_ID: ids, c.ARM: arms})
    return frame.assign(
        **{
            c.AGE: [30, 40, 50, 35, pd.NA][: len(ids)],
            c.SEX: ["F", "F", "M", "M", "F"][: len(ids)],
            c.RF_POSITIVE: [True, False, True, True, True][: len(ids)],
            c.ITT: True,
            c.SAFETY: [True, True, True, True, False][: len(ids)],
            c.PER_PROTOCOL: True,
            c.COMPLETED: True,
        }
    ).astype({c.AGE: "Int64", c.RF_POSITIVE: "boolean"})


def _release(**frames):
    empty = pd.DataFrame()
    parts = {"assessments": empty, "immunology": empty, "adverse_events": empty} | frames
    return SimpleNamespace(subjects=_subjects(), **parts, **RELEASE_INFO)


def test_html_table_escapes_every_text():
    table = tables.HtmlTable(
        caption="<b>cap</b>",
        header=("a&b", "<i>"),
        rows=(("<script>x</script>", '"q"'),),
        footnote=("<note>",),
    )
    html = table._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;cap&lt;/b&gt;" in html
    assert "a&amp;b" in html and "&lt;note&gt;" in html
    assert html.startswith('<table class="ldil2-table"><caption>')


def test_html_table_sections_span_columns_and_rows_are_checked():
    table = tables.HtmlTable("t", ("x", "y"), (("Section",), ("a", "1")), (), ("section", ""))
    assert 'colspan="2">Section</th>' in table.to_html()
    assert table.to_frame().to_dict("list") == {"x": ["a"], "y": ["1"]}
    with pytest.raises(ValueError, match="row 1"):
        tables.HtmlTable("t", ("x", "y"), (("only one",),))


def test_from_frame_shows_missing_as_empty():
    frame = pd.DataFrame({"a": ["x", None], "b": [1.5, float("nan")]})
    table = tables.HtmlTable.from_frame(frame, caption="c", footnote="f")
    assert table.rows == (("x", "1.5"), ("", ""))
    assert table.footnote == ("f",)


def test_summarize_formats():
    # mean of 30, 40, 50 = 40; SD = sqrt(((-10)^2 + 0 + 10^2)/2) = 10
    assert tables.summarize(pd.Series([30, 40, 50]), tables.MEAN_SD) == "40.0 (10.0)"
    # median of 1..5 = 3, quartiles (linear interpolation) 2 and 4
    assert tables.summarize(pd.Series([1, 2, 3, 4, 5]), tables.MEDIAN_IQR) == "3.0 [2.0, 4.0]"
    # 2 of 3 known values; one missing
    values = pd.Series([True, True, False, pd.NA], dtype="boolean")
    assert tables.summarize(values, tables.N_PCT) == "2 (66.7%), 1 missing"
    assert tables.summarize(pd.Series([float("nan")]), tables.MEAN_SD) == "-"


def test_baseline_table_counts_caption_and_no_p_values():
    table = tables.make_baseline_table(_release(), "itt")
    assert table.caption == (
        "Baseline characteristics, intention-to-treat population "
        "(Ld-IL2 + MTX n = 3; Placebo + MTX n = 2)"
    )
    cells = table.to_frame().set_index("Characteristic")
    assert cells.loc["Age, years"].tolist() == ["40.0 (10.0)", "35.0 (-), 1 missing"]
    assert cells.loc["Female, n (%)"].tolist() == ["2 (66.7%)", "1 (50.0%)"]
    assert "P" not in table.header
    assert "Simulated data. Release 2099.1.1." in table.footnote


def test_endpoint_table_caption_and_footnote():
    frame = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A1", "A2", "P1", "P2"],
            c.ARM: [c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO, c.ARM_PLACEBO],
            c.WEEK: 12,
            "acr20": pd.array([True, True, False, True], dtype="boolean"),
            c.PER_PROTOCOL: True,
        }
    )
    comparison = stats.response_by_arm(frame, "acr20", 12, "per_protocol")
    table = tables.make_endpoint_table([comparison], _release(), measure="ACR20")
    assert table.caption == (
        "ACR20 at week 12, per-protocol population (Ld-IL2 + MTX n = 2; Placebo + MTX n = 2)"
    )
    row = table.to_frame().iloc[0]
    assert row["Ld-IL2 + MTX, n/N (%)"] == "2/2 (100.0%)"
    assert row["Difference, percentage points"] == "50.0"
    assert row["P"] == comparison.p_text
    notes = " ".join(table.footnote)
    assert "Newcombe" in notes and "Fisher" in notes and "observed cases" in notes
    assert "Simulated data" in notes and "2099.1.1" in notes
    with pytest.raises(ValueError, match="comparisons"):
        tables.make_endpoint_table([])


def test_endpoint_table_adds_odds_ratio_before_p():
    arms = [c.ARM_LDIL2] * 4 + [c.ARM_PLACEBO] * 4
    frame = pd.DataFrame(
        {
            c.SUBJECT_ID: [f"S{i}" for i in range(8)],
            c.ARM: arms,
            c.WEEK: 24,
            "acr20": pd.array([True, True, True, False, True, False, False, False], "boolean"),
            c.PER_PROTOCOL: True,
        }
    )
    comparison = stats.response_by_arm(frame, "acr20", 24, c.PER_PROTOCOL)
    table = tables.make_endpoint_table([comparison], _release(), measure="ACR20").to_frame()
    assert list(table.columns[-2:]) == ["Odds ratio (95% CI)", "P"]
    # Woolf: OR = (3*3)/(1*1) = 9; SE(ln OR) = sqrt(1/3 + 1 + 1 + 1/3) = 1.633;
    # CI = exp(ln 9 -/+ 1.96*1.633) = 0.37 to 220.93
    assert table["Odds ratio (95% CI)"].iloc[0] == "9.00 (0.37 to 220.93)"


def test_ae_table_counts_participants_and_events_sorted_and_escaped():
    events = pd.DataFrame(
        {
            c.AE_ID: ["e1", "e2", "e3", "e4", "e5"],
            c.SUBJECT_ID: ["A0", "A0", "A1", "P0", "P1"],  # P1 is not in the safety population
            c.AE_SOC: ["Infections", "Infections", "<b>Skin</b>", "<b>Skin</b>", "Infections"],
            c.AE_TERM: ["Cold", "Cold", "Rash & itch", "Rash & itch", "Cold"],
        }
    )
    table = tables.make_ae_table(_release(adverse_events=events))
    frame = table.to_frame().set_index("System organ class / preferred term")
    # safety: 3 ldil2, 1 placebo (P1 excluded)
    assert "Ld-IL2 + MTX (N = 3)" in table.header[1]
    assert frame.loc["Any adverse event"].tolist() == ["2 (66.7%)", "3", "1 (100.0%)", "1"]
    # <b>Skin</b>: 2 participants (A1, P0) before Infections: 1 participant (A0, 2 events)
    assert list(frame.index[1:]) == ["<b>Skin</b>", "Rash & itch", "Infections", "Cold"]
    assert frame.loc["Cold"].tolist() == ["1 (33.3%)", "2", "0 (0.0%)", "0"]
    html = table.to_html()
    assert "&lt;b&gt;Skin&lt;/b&gt;" in html and "Rash &amp; itch" in html
    assert "<b>" not in html


def _common_events():
    # safety: A0, A1 (Ld-IL2) and P0, P1 (placebo)
    return pd.DataFrame(
        {
            c.AE_ID: ["E1", "E2", "E3", "E4"],
            c.SUBJECT_ID: ["A0", "A0", "A1", "P0"],
            c.AE_TERM: ["Injection site reaction", "Injection site reaction", "Pneumonia",
                        "Headache"],
            c.AE_SOC: ["General", "General", "Infections", "Nervous system"],
        }
    )  # fmt: skip


def _common_release(events):
    return SimpleNamespace(subjects=_subjects(2, 2), adverse_events=events, **RELEASE_INFO)


def test_ae_table_adds_risk_difference_for_common_terms():
    table = tables.make_ae_table(_common_release(_common_events()), common_pct=10.0)
    frame = table.to_frame().set_index(table.header[0])
    column = "Risk difference, percentage points (95% CI)"
    # injection site reaction: Ld-IL2 1/2 (A0), placebo 0/2 -> +50 points; Newcombe CI direct
    low, high = confint_proportions_2indep(1, 2, 0, 2, method="newcomb", compare="diff")
    assert frame.loc["Injection site reaction", column] == (
        f"50.0 ({100 * low:.1f} to {100 * high:.1f})"
    )
    assert frame.loc["Headache", column].startswith("-50.0 (")
    assert frame.loc["General", column] == ""  # a class row has no difference
    assert "Newcombe" in " ".join(table.footnote)
    frame = tables.make_ae_table(_common_release(_common_events()), common_pct=60.0).to_frame()
    assert (frame[column] == "").all()  # 50% is no longer common
    plain = tables.make_ae_table(_common_release(_common_events()))
    assert column not in plain.header and "Newcombe" not in " ".join(plain.footnote)


def test_ae_table_with_differences_escapes_markup_in_terms_and_classes():
    events = _common_events()
    events.loc[0, c.AE_TERM] = "<script>alert(1)</script>"
    events.loc[2, c.AE_SOC] = "<b>x</b>"
    page = tables.make_ae_table(_common_release(events), common_pct=10.0).to_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script>" not in page


def test_endpoint_table_states_the_across_visit_model():
    frame = pd.DataFrame(
        {
            c.SUBJECT_ID: ["A1", "A2", "P1", "P2"],
            c.ARM: [c.ARM_LDIL2, c.ARM_LDIL2, c.ARM_PLACEBO, c.ARM_PLACEBO],
            c.WEEK: 24,
            "acr20": pd.array([True, False, False, True], dtype="boolean"),
            c.ITT: True,
        }
    )
    across = stats.LongitudinalResult(
        estimate=2.5, ci_low=1.1, ci_high=5.7, p_value=0.0142, measure="odds ratio",
        per_visit=pd.DataFrame(), n_subjects={c.ARM_LDIL2: 2, c.ARM_PLACEBO: 2},
        n_observations=4, weeks=(24,), description="Logistic GEE.",
    )  # fmt: skip
    comparison = stats.response_by_arm(frame, "acr20", 24, "itt", imputation="nri")
    table = tables.make_endpoint_table([comparison], across=across)
    assert table.caption.startswith("ACR20 at week 24, intention-to-treat population")
    assert (
        "Across visits: odds ratio 2.50 (95% CI 1.10 to 5.70), P = 0.014. Logistic GEE."
        in table.footnote
    )
    assert any("non-responder imputation" in note for note in table.footnote)
