"""Tests of ldil2.pipeline.results.glued_scalar: which glued reprs the results file keeps."""

from __future__ import annotations

import pytest

from ldil2.pipeline.results import glued_scalar


@pytest.mark.parametrize(
    ("value"), ["Ld-IL2", 'it said "yes"', 3, -1.5, 0.25, True, False, "", 10**20]
)
def test_the_repr_of_a_plain_scalar_reads_back(value):
    assert glued_scalar(repr(value)) == value


@pytest.mark.parametrize(
    "text",
    ["Listing(caption='x', rows=[1, 2])", "<Figure size 640x480 with 1 Axes>", "[1, 2]", "", "nan"],
)
def test_an_object_repr_is_not_a_value(text):
    assert glued_scalar(text) is None


def test_an_infinite_float_literal_gives_its_text():
    assert glued_scalar("1e999") == "inf"
