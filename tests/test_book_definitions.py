"""Tests of ldil2.book.definitions: the outcome definitions read from numpy docstrings."""

from __future__ import annotations

import re

from ldil2.book import definitions


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
    doc = definitions.docstring_sections(_documented)
    assert doc["summary"] == "Toy score."
    assert doc["extended"] == ""
    assert doc["Notes"] == "a + b times two"
    assert doc["References"] == "Someone 2020."
    assert "Raises" not in doc


def test_docstring_sections_turns_rest_table_into_text():
    assert definitions.docstring_sections(_tabled)["Notes"] == "x / label; <= 1 / low;"


def test_definition_text_prefers_extended_then_notes():
    assert definitions.definition_text(_documented) == "Toy score. a + b times two"


def test_every_outcome_definition_states_a_formula_or_threshold():
    for outcome, func in definitions.definition_functions():
        # every definition names a number: a coefficient, a cut-off or a percentage
        assert any(ch.isdigit() for ch in definitions.definition_text(func)), outcome


def test_every_outcome_definition_cites_a_reference():
    # the definitions table takes its "Reference" column from the References section
    for outcome, func in definitions.definition_functions():
        reference = definitions.docstring_sections(func).get("References", "")
        assert re.search(r"(19|20)\d\d", reference), outcome


def test_every_outcome_definition_is_computed_in_the_derive_layer():
    for outcome, func in definitions.definition_functions():
        assert func.__module__.startswith("ldil2.derive."), outcome
