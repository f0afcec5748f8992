"""Tests of ldil2.results: the ARD format (rows, ids, files) and the per-chapter recorder."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from conftest import ROOT

from ldil2 import contract as c
from ldil2.data.release import load
from ldil2.results import format as ard_format
from ldil2.results.ard import Ard, MissingResult
from ldil2.results.format import Row
from ldil2.stats.proportions import response_by_arm


def row(**changes) -> Row:
    values = dict(
        result_id="acr20.w24.pp.difference.newcombe",
        chapter="primary",
        endpoint="acr20",
        endpoint_label="ACR20 response",
        population="per_protocol",
        analysis="difference_newcombe",
        week=24,
        group="difference",
        stat="estimate",
        value=20.0,
        unit="percentage points",
        method="Newcombe.",
    )
    return Row(**(values | changes))


def test_result_id_reads_endpoint_week_population_group_analysis():
    # the issue's own example, and an across-visit model
    assert (
        ard_format.result_id("acr20", 24, "per_protocol", "difference", "difference_newcombe")
        == "acr20.w24.pp.difference.newcombe"
    )
    assert (
        ard_format.result_id("acr20", None, "itt", "", "gee_logit") == "acr20.all.itt.all.gee_logit"
    )
    assert (
        ard_format.result_id("acr20", 12, "per_protocol", c.ARM_LDIL2, "proportion_wilson")
        == "acr20.w12.pp.ldil2.proportion_wilson"
    )


@pytest.mark.parametrize("value", ["0.5", "P = 0.014", True, None])
def test_row_rejects_a_value_that_is_not_a_number(value):
    with pytest.raises(ValueError, match="violates 'a number'"):
        row(value=value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("analysis", "t_test_by_hand", "analysis 't_test_by_hand'"),
        ("group", "both", "group 'both'"),
        ("stat", "p_text", "stat 'p_text'"),
        ("population", "completers", "population 'completers'"),
    ],
)
def test_row_rejects_unknown_codes_naming_the_result(field, value, message):
    with pytest.raises(ValueError, match=message) as error:
        row(**{field: value})
    assert "acr20.w24.pp.difference.newcombe" in str(error.value)


def test_every_analysis_has_a_method_sentence():
    for name, analysis in ard_format.ANALYSES.items():
        assert analysis.method.endswith("."), name


def test_csv_has_the_columns_in_order_and_numbers_only():
    rows = [row(), row(stat="lcl", value=-2.5), row(stat="p", value=math.nan, week=None)]
    parsed = list(csv.reader(io.StringIO(ard_format.to_csv(rows))))
    assert parsed[0] == list(ard_format.COLUMNS)
    values = [line[parsed[0].index("value")] for line in parsed[1:]]
    assert values == ["20.0", "-2.5", ""]  # sorted by result_id then stat; NaN is empty
    assert [line[parsed[0].index("week")] for line in parsed[1:]] == ["24", "24", ""]


def test_json_round_trip_keeps_every_row_and_nan():
    rows = [row(), row(stat="p", value=math.nan, week=None)]
    text = ard_format.to_json(rows)
    assert json.loads(text)["rows"][1]["value"] is None
    back = ard_format.from_json(text)
    assert [r.key for r in back] == [r.key for r in ard_format.sort_rows(rows)]
    assert back[0] == ard_format.sort_rows(rows)[0] and math.isnan(back[1].value)
    assert ard_format.to_json(back) == text


def test_from_json_names_the_source_of_a_document_without_rows():
    with pytest.raises(ValueError, match="results.json: not an ARD document"):
        ard_format.from_json('{"values": {}}', "results.json")


def test_imputed_analysis_ids():
    assert ard_format.imputed("fisher", "none") == "fisher"
    assert ard_format.imputed("fisher", "nri") == "fisher_nri"
    with pytest.raises(ValueError, match="ancova"):
        ard_format.imputed("ancova", "nri")


def test_ard_keeps_one_value_per_statistic():
    ard = Ard("primary")
    rid = ard.record("acr20", "ACR20 response", "fisher", {"p": 0.5}, week=24, group="difference")
    ard.record("acr20", "ACR20 response", "fisher", {"p": 0.5}, week=24, group="difference")
    assert len(ard) == 1 and ard.get(rid, "p") == 0.5
    with pytest.raises(ValueError, match=f"{rid} p: recorded as 0.5 and 0.25"):
        ard.record("acr20", "ACR20 response", "fisher", {"p": 0.25}, week=24, group="difference")


def test_ard_lookup_of_a_missing_row_names_it():
    with pytest.raises(MissingResult, match="ARD of primary: no row x.w1.pp.all.fisher p"):
        Ard("primary").get("x.w1.pp.all.fisher", "p")


def test_binary_comparison_records_every_number_of_the_comparison():
    # the shipped release reproduces the abstract's week-12 ACR20 counts, 12/17 (70.6%) vs 10/23
    # (43.5%); the interval and test values are the stats functions' (checked against Newcombe
    # 1998 and scipy in tests/test_stats.py)
    cmp = response_by_arm(load(ROOT / "data"), "acr20", 12)
    ard = Ard("primary")
    ids = ard.binary_comparison(cmp, "ACR20 response")
    assert [ard.get(ids[arm], "n") for arm in c.ARMS] == [12, 10]
    assert [ard.get(ids[arm], "N") for arm in c.ARMS] == [17, 23]
    assert [round(ard.get(ids[arm], "percent"), 1) for arm in c.ARMS] == [70.6, 43.5]
    assert ard.result(ids["difference"]) == pytest.approx(
        {
            "estimate": 100 * cmp.difference.estimate,
            "lcl": 100 * cmp.difference.ci_low,
            "ucl": 100 * cmp.difference.ci_high,
        }
    )
    assert ard.get(ids["odds_ratio"], "estimate") == pytest.approx(cmp.odds_ratio.estimate)
    assert ard.get(ids["fisher"], "p") == pytest.approx(cmp.fisher.p_value)
    assert ids["difference"] == "acr20.w12.pp.difference.newcombe"
    units = {r.stat: r.unit for r in ard.rows() if r.result_id == ids["difference"]}
    assert set(units.values()) == {"percentage points"}
