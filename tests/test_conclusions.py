"""Tests of the conclusions declared in advance (conclusions.yml, ldil2.results.conclusions):
reading and checking the file, the decision rules on both sides of each threshold, an
independent re-implementation on random cases, evaluation on ARD rows and the rows recorded."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from ldil2.data.release import load
from ldil2.pipeline import cache, snapshots, toc
from ldil2.results import conclusions as cc
from ldil2.results.ard import Ard
from ldil2.results.format import ANALYSES, Row

ROOT = Path(__file__).resolve().parents[1]
RELEASES = ROOT / "releases"


def row(rid: str, stat: str, value: float, chapter: str = "primary", unit="odds ratio") -> Row:
    """One ARD row of result `rid` (its parts give endpoint, population, group, analysis)."""
    endpoint, when, population, group, analysis = rid.split(".")
    population = {"pp": "per_protocol", "itt": "itt", "safety": "safety"}[population]
    week = None if when == "all" else int(when[1:])
    full = analysis if analysis in ANALYSES else f"{group}_{analysis}"
    return Row(
        rid,
        chapter,
        endpoint,
        endpoint.upper(),
        population,
        full,
        week,
        "" if group == "all" else group,
        stat,
        value,
        unit,
        "method.",
    )


def conclusion(**rule) -> cc.Conclusion:
    """A conclusion on the ACR20 GEE odds ratio with the given rule."""
    rule = {"direction": "greater", "no_effect": 1.0} | rule
    return cc.Conclusion(
        "acr20",
        "primary",
        "ACR20 benefit",
        "acr20.all.pp.difference.gee_logit",
        "primary",
        cc.Rule(**rule),
    )


# ---------------------------------------------------------------------------------------------
# The committed file
# ---------------------------------------------------------------------------------------------


def test_committed_conclusions_name_results_of_both_shipped_snapshots():
    # every declared result exists in the snapshot of each shipped release, on its page
    declared = cc.load_conclusions(ROOT / toc.CONCLUSIONS_READ)
    assert {c.role for c in declared} == set(cc.ROLES)  # primary, sensitivity, secondary, safety
    for version in snapshots.snapshot_versions(RELEASES):
        rows = snapshots.read_snapshot(RELEASES / f"{version}.json")["rows"]
        ids = {(r.chapter, r.result_id) for r in rows}
        for k in declared:
            assert (k.chapter, k.result_id) in ids, (version, k.key)
            if k.p_result_id:
                assert (k.chapter, k.p_result_id) in ids, (version, k.key)
            assert cc.evaluate(k, rows).status in (cc.MET, cc.NOT_MET), (version, k.key)


def test_committed_conclusions_cover_each_primary_endpoint_of_the_report():
    # the trial report's primary outcomes: ACR20, DAS28-ESR < 2.6, change in CDAI or SDAI
    primary = [c for c in cc.load_conclusions(ROOT / toc.CONCLUSIONS_READ) if c.role == "primary"]
    endpoints = {c.result_id.split(".")[0] for c in primary}
    assert endpoints == {"acr20", "das28_esr_remission", "chg_cdai", "chg_sdai"}
    assert all(c.population == "per_protocol" for c in primary)  # the published analysis
    assert load(ROOT / "data", tables=[]).version in snapshots.snapshot_versions(RELEASES)


# ---------------------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------------------

BAD = """\
conclusions:
  - key: acr20
    role: primary
    statement: ACR20 benefit
    result_id: acr20.all.pp.difference.gee_logit
    chapter: primary
    rule: {direction: up, no_effect: 1, alpha: 0.05}
  - key: acr20
    role: tertiary
    statement: Again
    result_id: acr20.all.everyone.difference.gee_logit
    chapter: primary
    colour: red
    rule: {direction: less, no_effect: zero}
  - key: Bad-Key
    statement: no role, no rule
    result_id: x.all.pp.all.count
    chapter: primary
"""


def test_load_conclusions_lists_every_problem_with_line_column_field_and_rule(tmp_path):
    path = tmp_path / "conclusions.yml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(cc.ConclusionsError) as error:
        cc.load_conclusions(path)
    problems = error.value.problems
    expected = [
        "conclusions.yml line 7, column 11: conclusions[0]: rule.direction 'up' violates one of "
        "('greater', 'less')",
        "conclusions.yml line 9, column 11: conclusions[1].role 'tertiary' violates one of",
        "conclusions.yml line 11, column 16: conclusions[1].result_id "
        "'acr20.all.everyone.difference.gee_logit' violates",
        "conclusions.yml line 13, column 13: conclusions[1].colour violates one of",
        "conclusions[1]: rule.no_effect 'zero' violates 'a number'",
        "conclusions[1]: rule violates 'needs alpha or ci_excludes_no_effect: true'",
        "conclusions.yml line 15, column 5: conclusions[2]: field 'role' is missing",
        "conclusions.yml line 15, column 10: conclusions[2].key 'Bad-Key' violates",
        "conclusions.yml line 15, column 5: conclusions[2]: field 'rule' is missing",
    ]
    for text in expected:
        assert any(p.startswith(text) or text in p for p in problems), (text, problems)


def test_load_conclusions_refuses_a_key_used_twice_and_an_empty_file(tmp_path):
    entry = BAD.split("  - key: acr20\n")[1]
    path = tmp_path / "conclusions.yml"
    path.write_text("conclusions:\n" + 2 * f"  - key: acr20\n{entry}", encoding="utf-8")
    with pytest.raises(cc.ConclusionsError, match="key 'acr20' violates 'unique' .used 2 times"):
        cc.load_conclusions(path)
    path.write_text("conclusions: []\n", encoding="utf-8")
    with pytest.raises(cc.ConclusionsError, match="'conclusions' violates 'a non-empty list'"):
        cc.load_conclusions(path)
    path.write_text("conclusions: [\n", encoding="utf-8")
    with pytest.raises(cc.ConclusionsError, match="conclusions.yml: not a readable YAML file"):
        cc.load_conclusions(path)


def test_load_conclusions_reads_the_optional_fields(tmp_path):
    path = tmp_path / "conclusions.yml"
    path.write_text(
        "conclusions:\n  - {key: das28, role: primary, statement: S, chapter: primary,\n"
        "     result_id: das28.w24.pp.difference.newcombe,\n"
        "     p_result_id: das28.w24.pp.difference.fisher,\n"
        "     rule: {direction: greater, no_effect: 0, ci_excludes_no_effect: true}}\n",
        encoding="utf-8",
    )
    (k,) = cc.load_conclusions(path)
    assert k.p_result_id == "das28.w24.pp.difference.fisher"
    assert k.rule == cc.Rule("greater", 0.0, None, True)


# ---------------------------------------------------------------------------------------------
# The decision rule
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("p", "met"), [(0.049, 1.0), (0.0499999, 1.0), (0.05, 0.0), (0.051, 0.0)])
def test_rule_met_both_sides_of_alpha(p, met):
    assert cc.rule_met(conclusion(alpha=0.05).rule, 2.0, 1.1, 3.0, p) == met


def test_rule_met_needs_the_estimate_on_the_claimed_side():
    rule = conclusion(alpha=0.05).rule
    assert cc.rule_met(rule, 0.5, 0.3, 0.9, 0.001) == 0.0  # significant, but harm
    assert cc.rule_met(rule, 1.0, 0.5, 2.0, 0.001) == 0.0  # exactly no effect
    less = conclusion(alpha=0.05, direction="less", no_effect=0.0).rule
    assert cc.rule_met(less, -5.7, -10.3, -1.1, 0.014) == 1.0
    assert cc.rule_met(less, 5.7, 1.1, 10.3, 0.014) == 0.0


@pytest.mark.parametrize(("lcl", "met"), [(-0.34, 0.0), (0.0, 0.0), (0.01, 1.0), (4.04, 1.0)])
def test_rule_met_both_sides_of_a_ci_bound(lcl, met):
    # the safety headline: the whole 95% CI of the difference above 0
    rule = conclusion(no_effect=0.0, ci_excludes_no_effect=True).rule
    assert cc.rule_met(rule, 30.0, lcl, 54.0, math.nan) == met  # P is not part of this rule


def test_rule_met_is_nan_when_a_needed_statistic_is_not_estimable():
    rule = conclusion(alpha=0.05).rule
    assert math.isnan(cc.rule_met(rule, math.nan, math.nan, math.nan, 0.01))
    assert math.isnan(cc.rule_met(rule, 2.0, 1.1, 3.0, math.nan))
    both = conclusion(alpha=0.05, ci_excludes_no_effect=True).rule
    assert math.isnan(cc.rule_met(both, 2.0, math.nan, 3.0, 0.01))


def test_rule_met_agrees_with_an_independent_reimplementation_on_random_cases():
    rng = random.Random(20260811)

    def reference(rule: cc.Rule, est: float, lcl: float, ucl: float, p: float) -> float:
        # written from the rule's definition: claimed side, P below alpha, CI wholly on the side
        if rule.direction == "greater":
            side_ok, ci_ok = est > rule.no_effect, lcl > rule.no_effect
        else:
            side_ok, ci_ok = est < rule.no_effect, ucl < rule.no_effect
        p_ok = True if rule.alpha is None else p < rule.alpha
        return float(side_ok and p_ok and (ci_ok or not rule.ci_excludes_no_effect))

    for _ in range(2000):
        rule = cc.Rule(
            rng.choice(cc.DIRECTIONS),
            rng.choice([0.0, 1.0]),
            rng.choice([None, 0.05, 0.01]),
            rng.random() < 0.5,
        )
        if rule.alpha is None and not rule.ci_excludes_no_effect:
            continue
        est = rng.uniform(-3, 4)
        lcl, ucl = est - rng.uniform(0, 3), est + rng.uniform(0, 3)
        p = rng.random() ** 3
        assert cc.rule_met(rule, est, lcl, ucl, p) == reference(rule, est, lcl, ucl, p)


# ---------------------------------------------------------------------------------------------
# Evaluation on ARD rows, and the rows recorded
# ---------------------------------------------------------------------------------------------

GEE = "acr20.all.pp.difference.gee_logit"


def gee_rows(estimate: float, lcl: float, ucl: float, p: float, chapter="primary") -> list[Row]:
    values = {"estimate": estimate, "lcl": lcl, "ucl": ucl, "p": p}
    return [row(GEE, stat, value, chapter) for stat, value in values.items()]


def test_evaluate_reads_the_declared_result_and_its_page_first():
    rows = gee_rows(4.08, 1.35, 12.33, 0.0127) + gee_rows(9.0, 8.0, 10.0, 0.5, "ledger")
    found = cc.evaluate(conclusion(alpha=0.05), rows)
    assert (found.estimate, found.lcl, found.ucl, found.p) == (4.08, 1.35, 12.33, 0.0127)
    assert (found.status, found.met, found.unit) == (cc.MET, 1.0, "odds ratio")
    # an edition whose page lacks the result (other parameters) reads it from another page
    elsewhere = cc.evaluate(conclusion(alpha=0.05), gee_rows(9.0, 8.0, 10.0, 0.5, "estimands"))
    assert (elsewhere.estimate, elsewhere.status) == (9.0, cc.NOT_MET)


def test_evaluate_takes_p_from_the_p_result_and_says_not_computed_without_rows():
    diff = "das28.w24.pp.difference.newcombe"
    rows = [
        row(diff, "estimate", 11.8),
        row(diff, "lcl", -4.9),
        row(diff, "ucl", 34.3),
        row("das28.w24.pp.difference.fisher", "p", 0.174),
    ]
    k = cc.Conclusion(
        "d",
        "primary",
        "S",
        diff,
        "primary",
        cc.Rule("greater", 0.0, 0.05),
        "das28.w24.pp.difference.fisher",
    )
    found = cc.evaluate(k, rows)
    assert (found.p, found.status) == (0.174, cc.NOT_MET)
    missing = cc.evaluate(k, [])
    assert missing.status == cc.NOT_COMPUTED and math.isnan(missing.met)
    nan = cc.evaluate(conclusion(alpha=0.05), gee_rows(math.nan, math.nan, math.nan, math.nan))
    assert nan.status == cc.NOT_ESTIMABLE


def test_record_conclusions_records_met_changed_and_the_counts():
    declared = [conclusion(alpha=0.05)]
    now = {"acr20": cc.evaluate(declared[0], gee_rows(2.38, 0.93, 6.10, 0.071))}
    before = {"acr20": cc.evaluate(declared[0], gee_rows(2.64, 1.12, 6.26, 0.027))}
    ard = Ard("changes")
    ids = cc.record_conclusions(ard, declared, now, before)
    assert ard.result(ids["acr20"]["current"]) == {
        "met": 0.0,
        "changed": 1.0,
        "no_effect": 1.0,
        "alpha": 0.05,
    }
    assert ard.result(ids["acr20"]["previous"]) == {"met": 1.0}
    assert ard.result(ids["count"]) == {"N": 1.0, "n": 1.0}
    assert ids["acr20"]["current"] == "conclusion_acr20.all.pp.all.conclusion"
    # a first edition: nothing to change from
    first = Ard("changes")
    ids = cc.record_conclusions(first, declared, now, None)
    assert math.isnan(first.get(ids["acr20"]["current"], "changed"))
    assert ids["acr20"]["previous"] is None and first.get(ids["count"], "n") == 0


def test_chapter_key_of_a_chapter_reading_the_conclusions_follows_the_file(tmp_path):
    # the build: a page declaring conclusions.yml re-executes when a declared conclusion changes
    root = tmp_path / "book"
    root.mkdir()
    (root / "requirements.txt").write_text("pins\n")
    md = root / "changes.md"
    md.write_text("source\n")
    declared = root / toc.CONCLUSIONS_READ
    declared.write_text("conclusions: [a]\n")
    reads = ("subjects.csv", toc.CONCLUSIONS_READ)
    before = cache.chapter_key(md, {}, tmp_path / "data", reads, root)
    unaware = cache.chapter_key(md, {}, tmp_path / "data", ("subjects.csv",), root)
    declared.write_text("conclusions: [b]\n")
    assert cache.chapter_key(md, {}, tmp_path / "data", reads, root) != before
    assert cache.chapter_key(md, {}, tmp_path / "data", ("subjects.csv",), root) == unaware


def test_record_conclusions_cannot_compare_a_result_one_edition_lacks():
    # e.g. an edition built with other parameters that does not compute the declared result
    declared = [conclusion(alpha=0.05)]
    before = {"acr20": cc.evaluate(declared[0], gee_rows(2.64, 1.12, 6.26, 0.027))}
    ard = Ard("changes")
    ids = cc.record_conclusions(ard, declared, {"acr20": cc.evaluate(declared[0], [])}, before)
    assert math.isnan(ard.get(ids["acr20"]["current"], "changed"))
    assert ard.get(ids["count"], "n") == 0
