"""Tests of ldil2.book.definitions: the outcome definitions of the Methods chapter as tables
(indices, activity states, EULAR grid, response criteria), against the published definitions
(van Gestel et al., Arthritis Rheum 1996;39:34-40; Aletaha & Smolen, Clin Exp Rheumatol 2005;
the project's reference notes ra-indices.md)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from ldil2.book import definitions

CHAPTER = SimpleNamespace(params={"acr_joints": "68/66"}, release=None)


def test_eular_grid_is_van_gestel_1996():
    # van Gestel 1996 (ra-indices.md): rows DAS28 at the visit <= 3.2, > 3.2-5.1, > 5.1;
    # columns improvement > 1.2, > 0.6-1.2, <= 0.6
    expected = [
        ["good", "moderate", "none"],
        ["moderate", "moderate", "none"],
        ["moderate", "none", "none"],
    ]
    frame = definitions.eular_frame()
    assert frame.iloc[:, 1:].values.tolist() == expected
    assert list(frame.iloc[:, 0]) == ["≤ 3.2", "> 3.2 to ≤ 5.1", "> 5.1"]


def test_activity_states_are_the_published_cut_offs():
    states = definitions.state_frame().set_index("Index")
    # DAS28 remission < 2.6, low <= 3.2, high > 5.1; CDAI <= 2.8 / 10 / 22; SDAI <= 3.3 / 11 / 26
    assert states.loc["DAS28 (ESR or CRP)"].tolist() == [
        "< 2.6", "≥ 2.6 to ≤ 3.2", "> 3.2 to ≤ 5.1", "> 5.1"
    ]  # fmt: skip
    assert states.loc["CDAI"].tolist() == ["≤ 2.8", "> 2.8 to ≤ 10", "> 10 to ≤ 22", "> 22"]
    assert states.loc["SDAI", "High activity"] == "> 26"


def test_outcome_definitions_are_tables_without_code_names_or_raw_docstrings():
    result = definitions.outcome_definitions(CHAPTER)
    assert set(result.tables) == {"definitions_table", "states_table", "criteria_table",
                                  "eular_grid_table"}  # fmt: skip
    for table in result.tables.values():
        text = re.sub(r"<[^>]+>", " ", table.to_html())  # what a reader reads
        assert "ldil2" not in text and "<NA>" not in text and "Needs " not in text
        assert not re.search(r"\b[a-z]+_[a-z0-9_]+\b", text), text  # no snake_case names
    criteria = result.tables["criteria_table"].to_frame().set_index("Criterion")["Definition"]
    assert "20/50/70%" in criteria["ACR20, ACR50, ACR70"] and "68/66" in criteria.iloc[0]
    assert "0.22" in criteria["HAQ-DI improvement"]
