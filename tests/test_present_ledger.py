"""Tests of ldil2.present.ledger and ldil2.results.ledger: the comparison recorded from the
book's ARD row, the numbers as the record prints them, the summary."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ldil2.present import ledger as p
from ldil2.results import ledger as r
from ldil2.results.ard import Ard, MissingResult


def _record(key: str, value: float, statistic: str = "percent", comparison: str = "exact",
            tolerance: float | None = None) -> pd.Series:  # fmt: skip
    return pd.Series(
        {"key": key, "source": "abstract", "statement": f"statement of {key}",
         "population": "per_protocol", "endpoint": "acr20", "week": 12, "arm": "ldil2",
         "statistic": statistic, "value": value, "comparison": comparison,
         "tolerance": math.nan if tolerance is None else tolerance}
    )  # fmt: skip


def _book(ard: Ard, percent: float, week: int = 12) -> r.Source:
    rid = ard.record("acr20", "ACR20", "proportion_wilson", {"percent": percent}, week=week,
                     group="ldil2", unit="%", population="per_protocol")  # fmt: skip
    return rid, "percent"


def test_record_comparison_reads_the_row_the_analysis_recorded():
    ard = Ard("ledger")
    book = _book(ard, 100 * 12 / 17)
    entry = r.record_comparison(ard, _record("acr20_w12_ldil2", 70.6), book)
    assert entry.book == ("acr20.w12.pp.ldil2.proportion_wilson", "percent")
    assert entry.ledger == "acr20.w12.pp.ldil2.ledger"
    assert entry.published == ("acr20.w12.pp.ldil2.published", "percent")
    assert ard.get(entry.ledger, "estimate") == pytest.approx(100 * 12 / 17)
    assert ard.get(*entry.published) == 70.6
    assert ard.get(entry.ledger, "reproduced") == 1
    assert math.isnan(ard.get(entry.ledger, "tolerance"))
    # the same published number next to another recorded value: it differs
    other = Ard("ledger")
    entry = r.record_comparison(other, _record("acr20_w12_ldil2", 70.6), _book(other, 64.7))
    assert other.get(entry.ledger, "reproduced") == 0
    assert p.status_text(other, entry) == "differs"


def test_record_comparison_needs_the_book_row():
    with pytest.raises(MissingResult, match="acr20.w12.pp.ldil2.proportion_wilson"):
        r.record_comparison(Ard("ledger"), _record("k", 70.6),
                            ("acr20.w12.pp.ldil2.proportion_wilson", "percent"))  # fmt: skip


def test_record_comparison_refuses_two_published_rows_for_one_number():
    ard = Ard("ledger")
    book = _book(ard, 70.6)
    r.record_comparison(ard, _record("first", 70.6), book)
    with pytest.raises(ValueError, match="key second: acr20.w12.pp.ldil2.ledger is already"):
        r.record_comparison(ard, _record("second", 70.6), book)


def test_summary_counts_reproduced_rows():
    ard = Ard("ledger")
    entries = [
        r.record_comparison(ard, _record(f"k{week}", 70.6), _book(ard, value, week))
        for week, value in ((4, 70.6), (8, 50.0), (12, 70.61))
    ]
    summary = r.record_summary(ard, entries)
    assert p.summary_text(ard, summary) == "2 of 3 published numbers reproduced exactly"
    assert (ard.get(summary, "n"), ard.get(summary, "N")) == (2, 3)
    assert ard.get(summary, "consistent") == 0
    assert p.differs_text(ard, entries) == "k8"
    assert p.differs_text(ard, [entries[0]]) == "none"


def test_ledger_frame_prints_numbers_as_the_record_does():
    ard = Ard("ledger")
    entry = r.record_comparison(ard, _record("acr20_w12_ldil2", 70.6), _book(ard, 100 * 12 / 17))
    shown = p.ledger_frame(ard, [entry]).iloc[0]
    # 12/17 = 70.588...%: printed 70.6%, difference 70.588 - 70.6 = -0.01 percentage points
    assert shown[["Published", "Recomputed", "Difference", "Rule", "Status"]].tolist() == [
        "70.6%",
        "70.6%",
        "-0.01",
        "equal at one decimal",
        "reproduced",
    ]


@pytest.mark.parametrize(
    ("value", "statistic", "text", "difference"),
    [(23.0, "count", "23", "+23"), (0.0134, "p_value", "0.013", "+0.013"),
     (math.nan, "p_value", "NA", "NA")],
)  # fmt: skip
def test_record_number_and_difference(value, statistic, text, difference):
    assert p.record_number(value, statistic) == text
    assert p.difference_text(value, statistic) == difference


def test_rule_text():
    assert p.rule_text("within_factor", "p_value", 2.0) == "within a factor of 2"
    assert p.rule_text("exact", "percent", None) == "equal at one decimal"
    assert p.rule_text("exact", "count", None) == "equal"


def test_published_frame_adds_the_edition_value_where_given():
    ard = Ard("primary", "itt")
    entry = r.record_comparison(ard, _record("acr20_w12_ldil2", 70.6), _book(ard, 100 * 12 / 17))
    edition = ard.record("acr20", "ACR20", "proportion_wilson", {"percent": 100 * 12 / 23},
                         week=12, group="ldil2", population="itt")  # fmt: skip
    frame = p.published_frame(ard, [entry], {"acr20_w12_ldil2": (edition, "percent")}, "ITT")
    assert frame.iloc[0].tolist() == [
        "statement of acr20_w12_ldil2", "abstract", "70.6%", "70.6%", "reproduced", "52.2%",
    ]  # fmt: skip
    assert list(frame.columns)[-1] == "This edition (ITT)"
    assert "This edition (ITT)" not in p.published_frame(ard, [entry], {}, "ITT").columns


def test_record_number_as_published():
    # formerly ldil2.efficacy.format_statistic (the Primary chapter's published table)
    assert p.record_number(70.588235, "percent") == "70.6%"
    assert p.record_number(17.0, "count") == "17"
    assert p.record_number(0.01746, "p_value") == "0.017"
    assert p.record_number(float("nan"), "p_value", "not computable") == "not computable"


def _p_entry(ard: Ard, key: str, published: float, book: float, week: int):
    rid = ard.record("acr20", "ACR20", "gee_logit", {"p": book}, week=week, group="difference",
                     population="per_protocol")  # fmt: skip
    record = _record(key, published, "p_value", "within_factor", 2.0)
    return r.record_comparison(ard, record, (rid, "p"))


def test_p_value_within_its_factor_is_consistent_not_reproduced_and_counted_apart():
    ard = Ard("ledger")
    entries = [
        r.record_comparison(ard, _record("pct", 70.6), _book(ard, 70.6, 4)),
        _p_entry(ard, "p_exact", 0.014, 0.0141, 8),  # equal at the 3 printed decimals
        _p_entry(ard, "p_near", 0.014, 0.019, 12),  # within a factor of 2 only
        _p_entry(ard, "p_far", 0.014, 0.05, 16),  # beyond it
    ]
    assert [p.status_text(ard, e) for e in entries] == [
        "reproduced", "reproduced", "consistent (within a factor of 2)", "differs"
    ]  # fmt: skip
    summary = r.record_summary(ard, entries)
    assert (ard.get(summary, "n"), ard.get(summary, "consistent"), ard.get(summary, "N")) == (
        2, 1, 4
    )  # fmt: skip
    assert p.summary_text(ard, summary, entries) == (
        "2 of 4 published numbers reproduced exactly, 1 consistent (within a factor of 2)"
    )
    assert p.differs_text(ard, entries) == "p_far"


def test_caveat_names_what_the_ledger_checks():
    assert "checks the analysis code, not the trial" in p.caveat_text(True)
    assert "checks the publication" in p.caveat_text(False)
