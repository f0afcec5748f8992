"""Tests of "What changed" (ldil2.results.changes, ldil2.present.changes, ldil2.book.changes):
the comparison of two editions' ARD rows result by result, the reader texts of a result and of
its change, the declared-conclusions table and line, and the page on the two shipped
snapshots (expected values computed here from the snapshot files, never copied from them)."""

from __future__ import annotations

import json
import math
import re
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import table_captions
from results_support import write_results

from ldil2.book import changes as page
from ldil2.data.release import load
from ldil2.pipeline import results, snapshots, toc
from ldil2.present import changes as shown
from ldil2.present.format import format_signed, format_threshold, p_cell
from ldil2.results import conclusions as cc
from ldil2.results.ard import Ard
from ldil2.results.changes import NOT_RESULTS, ChangedResult, changed_results
from ldil2.results.format import ANALYSES, Row

ROOT = Path(__file__).resolve().parents[1]
RELEASES = ROOT / "releases"


def row(
    rid="acr20.w24.pp.ldil2.proportion_wilson",
    stat="percent",
    value=76.5,
    chapter="primary",
    analysis="proportion_wilson",
    group="ldil2",
    unit="%",
) -> Row:
    week = None if rid.split(".")[1] == "all" else int(rid.split(".")[1][1:])
    return Row(
        rid,
        chapter,
        rid.split(".")[0],
        "ACR20 response",
        "per_protocol",
        analysis,
        week,
        group,
        stat,
        value,
        unit,
        "Wilson score interval (method).",
    )


def change(previous, current, stats=None, **kw) -> ChangedResult:
    """A ChangedResult of one row's result with the given statistics."""
    changed = stats or tuple(sorted(set(previous or {}) | set(current or {})))
    return ChangedResult(row(**kw), previous, current, tuple(changed))


# ---------------------------------------------------------------------------------------------
# Comparing two editions
# ---------------------------------------------------------------------------------------------


def test_changed_results_groups_statistics_by_result_and_lists_added_and_removed():
    before = [row(value=70.0), row(stat="n", value=12), row("gone.w24.pp.ldil2.count", "n", 1)]
    now = [row(value=76.5), row(stat="n", value=12), row("new.w24.pp.ldil2.count", "n", 2)]
    found = {x.row.result_id: x for x in changed_results(now, before)}
    assert sorted(found) == [
        "acr20.w24.pp.ldil2.proportion_wilson",
        "gone.w24.pp.ldil2.count",
        "new.w24.pp.ldil2.count",
    ]
    acr = found["acr20.w24.pp.ldil2.proportion_wilson"]
    assert acr.stats == ("percent",) and acr.previous == {"percent": 70.0, "n": 12.0}
    assert found["gone.w24.pp.ldil2.count"].current is None
    assert found["new.w24.pp.ldil2.count"].previous is None


def test_changed_results_ignores_rounding_not_estimable_settings_and_one_sided_pages():
    same = [row(stat="p", value=math.nan), row(stat="n", value=0.1 + 0.2)]
    assert changed_results(same, [row(stat="p", value=math.nan), row(stat="n", value=0.3)]) == []
    assert len(changed_results(same, [row(stat="p", value=0.5), row(stat="n", value=0.3)])) == 1
    for analysis in NOT_RESULTS:  # settings and the published record are not results
        a, b = row(analysis=analysis, value=1.0), row(analysis=analysis, value=2.0)
        assert changed_results([a, row(stat="n", value=1)], [b, row(stat="n", value=1)]) == []
    # a page with no row on one side (the second phase, a new chapter) is not compared
    assert changed_results([row(chapter="new_page")], [row(value=1.0)]) == []


# ---------------------------------------------------------------------------------------------
# A result and its change in words
# ---------------------------------------------------------------------------------------------


def test_result_text_formats_each_kind_of_result():
    assert (
        shown.result_text(
            {"estimate": 4.0808, "lcl": 1.3504, "ucl": 12.3317, "p": 0.0127}, "odds ratio"
        )
        == "4.08 (1.35 to 12.33)"
    )
    assert shown.result_p({"estimate": 4.0808, "p": 0.0127}) == "0.013"
    assert (
        shown.result_text({"n": 13, "N": 17, "percent": 76.47, "lcl": 52.7, "ucl": 90.4}, "%")
        == "13/17 (76.5%)"
    )
    assert (
        shown.result_text({"mean": -5.71, "lcl": -8.1, "ucl": -3.3, "n": 17}, "index points")
        == "-5.7 (-8.1 to -3.3); n = 17"
    )
    assert shown.result_text({"p": 0.31517}, "") == ""
    assert shown.result_p({"p": 0.31517}) == "0.315"
    assert shown.result_p({"n": 13, "N": 17}) == ""
    assert (
        shown.result_text({"estimate": 0.0127, "reproduced": 1.0, "tolerance": 2.0}, "odds ratio")
        == "reproduced (computed 0.013)"
    )
    assert (
        shown.result_text({"estimate": math.nan, "lcl": math.nan, "ucl": math.nan}, "odds ratio")
        == "not estimable"
    )
    assert shown.result_text(None, "%") == "-"
    assert shown.result_p(None) == "-"


def test_change_text_gives_the_size_of_the_first_changed_principal_statistic():
    assert shown.change_text(change({"percent": 70.0, "n": 12}, {"percent": 76.5, "n": 13})) == (
        "+6.5 percentage points"
    )
    # the count did not change: the change is that of the missing values
    assert (
        shown.change_text(
            change(
                {"count": 360, "missing": 38},
                {"count": 360, "missing": 8},
                ("missing",),
                unit="visits",
            )
        )
        == "-30 visits"
    )
    assert shown.change_text(change({"p": 0.071}, {"p": 0.315}, unit="")) == "P +0.244"
    odds = {"unit": "odds ratio", "group": "difference", "analysis": "or_woolf"}
    assert shown.change_text(change({"estimate": 4.76}, {"estimate": 2.5}, **odds)) == (
        "-2.26 odds ratio"
    )
    assert shown.change_text(change({"estimate": 1.0}, {"estimate": math.nan}, **odds)) == (
        "now not estimable"
    )
    assert shown.change_text(change(None, {"n": 2})) == "new result"
    assert shown.change_text(change({"n": 2}, None)) == "no longer computed"
    ledger = {"reproduced": 0.0, "estimate": 0.02}, {"reproduced": 1.0, "estimate": 0.013}
    assert shown.change_text(change(*ledger)) == "now reproduced"


def test_every_analysis_of_a_result_has_a_reader_label():
    # a new analysis id of the registry without a label would show its method sentence, which may
    # name columns (e.g. "chg_cdai") on the What changed page
    unlabelled = [
        a
        for a in ANALYSES
        if a not in NOT_RESULTS and a.removesuffix("_nri") not in shown.ANALYSIS_LABELS
    ]
    assert unlabelled == []


def test_result_label_reads_the_row_without_internal_names():
    gee = row(
        "acr20.all.pp.difference.gee_logit",
        "p",
        0.01,
        analysis="gee_logit",
        group="difference",
        unit="odds ratio",
    )
    assert shown.result_label(gee, "per_protocol") == (
        "Across visits, Ld-IL2 + MTX vs Placebo + MTX: odds ratio (GEE)"
    )
    assert shown.result_label(row(), "per_protocol") == "Week 24, Ld-IL2 + MTX: responders"
    nri = row(analysis="proportion_wilson_nri")
    assert shown.result_label(nri, "itt") == (
        "Week 24, Ld-IL2 + MTX: responders, non-responder imputation (per-protocol population)"
    )
    # an analysis without a short name reads as its method's first clause
    assert shown.analysis_label(row(analysis="edition")) == "Wilson score interval"


def test_every_analysis_has_a_reader_name_without_underscores():
    for analysis in ANALYSES:
        label = shown.analysis_label(row(analysis=analysis))
        assert label and "_" not in label, analysis


# ---------------------------------------------------------------------------------------------
# The page on the two shipped snapshots (run alone: this edition is its committed snapshot)
# ---------------------------------------------------------------------------------------------


def _snapshot(version: str) -> dict[tuple[str, str], dict[str, float | None]]:
    """(chapter, result_id) -> {stat: value} straight from the JSON, results only."""
    document = json.loads((RELEASES / f"{version}.json").read_text(encoding="utf-8"))
    out: dict = {}
    for values in document["rows"]:
        record = dict(zip(document["columns"], values, strict=True))
        if record["analysis"] not in NOT_RESULTS:
            key = (record["chapter"], record["result_id"])
            out.setdefault(key, {})[record["stat"]] = record["value"]
    return out


def _differs(a, b) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.fixture(scope="module")
def shipped():
    """The page computed on the shipped snapshots, and the expected counts computed here."""
    version = snapshots.snapshot_versions(RELEASES)[-1]
    before = snapshots.previous_version(RELEASES, version)
    release = SimpleNamespace(version=version, is_simulated=True, provenance="simulated")
    ch = SimpleNamespace(params={}, release=release, population="per_protocol")
    now, old = _snapshot(version), _snapshot(before)
    pages = {k[0] for k in now} & {k[0] for k in old}
    now = {k: v for k, v in now.items() if k[0] in pages}
    old = {k: v for k, v in old.items() if k[0] in pages}
    changed = {
        k
        for k in set(now) | set(old)
        if k not in now
        or k not in old
        or any(_differs(now[k].get(s), old[k].get(s)) for s in set(now[k]) | set(old[k]))
    }
    return page.changes_result(ch, ROOT), changed, now, old, version, before


def _indent_rows(table) -> list[tuple[str, ...]]:
    return [r for r, k in zip(table.rows, table.kinds, strict=True) if k == "indent"]


def test_page_counts_in_the_text_match_the_tables_and_the_snapshots(shipped):
    result, changed, now, old, version, before = shipped
    summary = result.values["changes_summary"]
    numbers = [int(n) for n in re.findall(r"\b\d+\b", summary.split(f"edition {before}, ")[1])]
    n_results, total, n_pages, total_pages, n_stats, total_stats, n_comparisons, again = numbers
    all_rows = _indent_rows(result.tables["changes_all_table"])
    comparisons = _indent_rows(result.tables["changes_table"])
    assert n_results == again == len(all_rows) == len(changed)
    assert total == len(set(now) | set(old))
    assert n_comparisons == len(comparisons) > 0
    sections = [
        r
        for r, k in zip(
            result.tables["changes_all_table"].rows,
            result.tables["changes_all_table"].kinds,
            strict=True,
        )
        if k == "section"
    ]
    assert n_pages == len(sections) == len({k[0] for k in changed})
    assert total_pages == len({k[0] for k in set(now) | set(old)})
    assert n_stats == sum(
        sum(
            _differs((now.get(k) or {}).get(s), (old.get(k) or {}).get(s))
            for s in set(now.get(k) or {}) | set(old.get(k) or {})
        )
        for k in changed
    )
    assert total_stats > n_stats
    # the counts are rows of the page's own results dataset
    counts = {r.endpoint: r.value for r in result.ard.rows() if r.stat == "n"}
    assert counts["changed_results"] == n_results and counts["changed_pages"] == n_pages


def test_page_shows_reader_labels_only_and_no_settings(shipped):
    result, _, now, old, _, _ = shipped
    titles = toc.document_titles(ROOT)
    internal = {rid for _, rid in set(now) | set(old)} | set(ANALYSES) - {"count", "exposure"}
    for name in ("conclusions_table", "changes_table", "changes_all_table"):
        table = result.tables[name]
        for cells, kind in zip(table.rows, table.kinds, strict=True):
            for cell in cells:
                assert "_" not in cell and cell not in internal, (name, cell)
            if kind == "section" and name != "conclusions_table":
                assert cells[0] in titles.values()  # a page by its title, not its file
    labels = {r[0] for r in result.tables["changes_all_table"].rows}
    assert "Scheduled assessment visit" not in labels  # a setting of the book (edition)


def test_page_first_table_is_the_declared_conclusions_with_both_editions(shipped):
    result, _, _, _, version, before = shipped
    declared = cc.load_conclusions(ROOT / toc.CONCLUSIONS_READ)
    table = result.tables["conclusions_table"].to_frame()
    assert len(table) == len(declared)
    assert list(table.columns) == [
        "Declared conclusion",
        "Decision rule",
        f"Edition {before}: {shown.STATUS_HEADER}",
        f"Edition {before}: P",
        f"Edition {version}: {shown.STATUS_HEADER}",
        f"Edition {version}: P",
        "Conclusion changed",
    ]
    # status and changed, recomputed here from the snapshot rows
    for k, (_, cells) in zip(declared, table.iterrows(), strict=True):
        status = {}
        for edition in (before, version):
            rows = snapshots.read_snapshot(RELEASES / f"{edition}.json")["rows"]
            stats = {
                r.stat: r.value
                for r in rows
                if r.chapter == k.chapter and r.result_id in (k.result_id, k.p_result_id)
            }
            sign = 1 if k.rule.direction == "greater" else -1
            met = sign * (stats["estimate"] - k.rule.no_effect) > 0
            if k.rule.alpha is not None:
                met = met and stats["p"] < k.rule.alpha
            if k.rule.ci_excludes_no_effect:
                bound = stats["lcl"] if sign == 1 else stats["ucl"]
                met = met and sign * (bound - k.rule.no_effect) > 0
            status[edition] = "met" if met else "not met"
            shown_text = cells[f"Edition {edition}: {shown.STATUS_HEADER}"]
            estimate = stats["estimate"]
            assert shown_text.startswith(
                (f"{status[edition]}: {estimate:.1f} (", f"{status[edition]}: {estimate:.2f} (")
            )
            assert cells[f"Edition {edition}: P"] == (p_cell(stats["p"]) if "p" in stats else "")
        assert cells["Conclusion changed"] == ("yes" if status[before] != status[version] else "no")
    n_changed = (table["Conclusion changed"] == "yes").sum()
    line = result.values["conclusions_line"]
    if n_changed:
        assert line.startswith(
            f"{n_changed} of {len(declared)} declared conclusions changed since edition {before}: "
        )
    else:
        assert line == f"No declared conclusion changed since edition {before}."


# ---------------------------------------------------------------------------------------------
# The page in a build, and a first edition
# ---------------------------------------------------------------------------------------------


def _book(tmp_path: Path, declared: str) -> Path:
    """A book root with the real conclusions, a toc of two titled pages and a releases folder."""
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    (root / "conclusions.yml").write_text(declared, encoding="utf-8")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: chapters/primary\n", encoding="utf-8"
    )
    (root / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "chapters" / "primary.md").write_text("# Primary endpoints\n", encoding="utf-8")
    return root


GEE = "acr20.all.pp.difference.gee_logit"
ONE = (
    "conclusions:\n"
    f"  - {{key: acr20, role: primary, statement: ACR20 benefit, result_id: {GEE},\n"
    "     chapter: primary, rule: {direction: greater, no_effect: 1, alpha: 0.05}}\n"
)


def gee(p: float) -> list[Row]:
    stats = {"estimate": 2.5, "lcl": 1.1, "ucl": 5.0, "p": p}
    return [
        row(GEE, s, v, analysis="gee_logit", group="difference", unit="odds ratio")
        for s, v in stats.items()
    ]


def test_page_in_a_build_compares_the_results_file_with_the_other_snapshot(tmp_path):
    root = _book(tmp_path, ONE)
    snapshots.write_snapshot({}, gee(0.03), "2026.08.1", root / "releases")
    path = tmp_path / "stage" / results.RESULTS_FILE
    write_results(path, {}, gee(0.08))
    release = SimpleNamespace(version="2026.11.1", is_simulated=True, provenance="simulated")
    ch = SimpleNamespace(params={"results": str(path)}, release=release, population="per_protocol")
    result = page.changes_result(ch, root)
    assert result.values["conclusions_line"] == (
        "1 of 1 declared conclusions changed since edition 2026.08.1: ACR20 benefit (now not met)."
    )
    assert result.values["changes_source"] == "this build"
    assert _indent_rows(result.tables["changes_table"]) == [
        (
            "Across visits, Ld-IL2 + MTX vs Placebo + MTX: odds ratio (GEE)",
            "2.50 (1.10 to 5.00)",
            "0.030",
            "2.50 (1.10 to 5.00)",
            "0.080",
            "P +0.050",
        )
    ]
    assert result.tables["changes_table"].rows[0] == ("Primary endpoints",)
    landing = page.landing_conclusions(ch, root)
    assert landing.values["conclusions_line"] == result.values["conclusions_line"]


def test_page_of_a_first_edition_says_there_is_no_earlier_edition(tmp_path):
    root = _book(tmp_path, ONE)
    snapshots.write_snapshot({}, gee(0.03), "2026.11.1", root / "releases")
    release = SimpleNamespace(version="2026.11.1", is_simulated=True, provenance="simulated")
    ch = SimpleNamespace(params={}, release=release, population="per_protocol")
    result = page.changes_result(ch, root)
    assert result.values["conclusions_line"] == (
        "This is the first edition (data release 2026.11.1): there is no earlier edition to "
        "compare its 1 declared conclusions with."
    )
    assert result.values["changes_summary"].startswith("This is the first edition")
    table = result.tables["conclusions_table"].to_frame()
    assert list(table.columns) == [
        "Declared conclusion",
        "Decision rule",
        f"Edition 2026.11.1: {shown.STATUS_HEADER}",
        "Edition 2026.11.1: P",
    ]
    assert table.iloc[0].tolist() == [
        "ACR20 benefit",
        "P < 0.05 and the odds ratio above 1",
        "met: 2.50 (1.10 to 5.00)",
        "0.030",
    ]
    assert result.tables["conclusions_table"].rows[0] == ("Primary endpoints",)
    assert _indent_rows(result.tables["changes_all_table"]) == []


def test_page_alone_uses_the_own_snapshot(tmp_path):
    # the chapter run alone (JupyterLab): the committed snapshot of its data version
    store = tmp_path / "releases"
    snapshots.write_snapshot({}, [row(value=16)], "2026.11.1", store)
    ch = SimpleNamespace(params={}, release=SimpleNamespace(version="2026.11.1"))
    compared = page.current_rows(ch, store)
    assert compared.rows == [row(value=16)] and not compared.from_build
    assert "committed snapshot of data release 2026.11.1" in compared.source


def test_rule_text_reads_the_numbers_of_the_rule_from_the_pages_rows():
    # the numbers of a decision rule are ARD rows of the page before they are text
    k = cc.load_conclusions(ROOT / toc.CONCLUSIONS_READ)[0]
    ard = Ard("changes")
    evaluation = cc.evaluate(k, gee(0.03))
    ids = cc.record_conclusions(ard, [k], {k.key: evaluation}, None)
    rid = ids[k.key]["current"]
    assert shown.rule_text(k, "odds ratio", ard, rid) == "P < 0.05 and the odds ratio above 1"


# ---------------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------------


def _text(html_text: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html_text))).strip()


@pytest.mark.build
def test_built_changes_page_opens_with_the_conclusions_and_its_counts_match(built_book):
    html_page = (built_book / "html" / "chapters" / "changes.html").read_text(encoding="utf-8")
    tables = re.findall(r'<table class="ldil2-table">.*?</table>', html_page, flags=re.S)
    captions = table_captions(html_page)
    assert captions[0].startswith("Declared conclusions")
    assert len(tables) == 3 and "<details" in html_page  # the full list is folded
    values, _ = results.read_results(built_book / "stage" / results.RESULTS_FILE)
    summary = values["changes:changes_summary"]
    assert summary in _text(html_page)
    n_results = int(re.search(r"(\d+) of \d+ results changed", summary).group(1))
    n_comparisons = int(re.search(r"lists the (\d+)", summary).group(1))
    indented = [t.count('style="padding-left: 1.5em"') for t in tables]
    assert indented[1:] == [n_comparisons, n_results]
    declared = cc.load_conclusions(ROOT / toc.CONCLUSIONS_READ)
    body = re.search(r"<tbody>(.*?)</tbody>", tables[0], re.S).group(1)
    assert body.count("<tr>") == len(declared)  # one row a conclusion
    assert "_" not in _text("".join(tables))  # no internal names


@pytest.mark.build
def test_built_landing_page_says_whether_a_conclusion_changed(built_book):
    # the interface of publishing (11p): the line is in the build's results file
    values, _ = results.read_results(built_book / "stage" / results.RESULTS_FILE)
    line = values["index:conclusions_line"]
    assert line == values["changes:conclusions_line"]
    landing = (built_book / "html" / "index.html").read_text(encoding="utf-8")
    assert line in _text(landing)
    version = load(ROOT / "data", tables=[]).version
    assert f"since edition {snapshots.previous_version(RELEASES, version)}" in line


def test_conclusions_line_names_the_conclusions_that_cannot_be_compared(tmp_path):
    root = _book(tmp_path, ONE)
    snapshots.write_snapshot({}, gee(0.03), "2026.08.1", root / "releases")
    path = tmp_path / "stage" / results.RESULTS_FILE
    write_results(path, {}, [row(value=1.0)])  # this edition lacks the declared result
    release = SimpleNamespace(version="2026.11.1", is_simulated=True, provenance="simulated")
    ch = SimpleNamespace(params={"results": str(path)}, release=release, population="per_protocol")
    result = page.changes_result(ch, root)
    assert result.values["conclusions_line"] == (
        "No declared conclusion changed since edition 2026.08.1; 1 of the 1 cannot be compared "
        "(not computed or not estimable in one edition)."
    )
    cells = result.tables["conclusions_table"].to_frame().iloc[0]
    assert cells[f"Edition 2026.11.1: {shown.STATUS_HEADER}"] == cc.NOT_COMPUTED
    assert cells["Conclusion changed"] == shown.NOT_COMPARABLE


def test_format_signed_and_threshold_of_the_page():
    assert format_signed(4.26, 1) == "+4.3"
    assert format_signed(-0.444, 2) == "-0.44"
    assert format_signed(-0.004, 2) == "0.00"  # rounds to zero: no sign
    assert format_signed(math.nan) == "not estimable"
    assert format_threshold(0.05) == "P < 0.05"


def test_rule_text_of_a_ci_rule_names_the_measure():
    k = cc.Conclusion(
        "ae",
        "safety",
        "More AEs",
        "ae_any.all.safety.difference.newcombe",
        "safety",
        cc.Rule("greater", 0.0, None, True),
    )
    ard = Ard("changes")
    ids = cc.record_conclusions(ard, [k], {"ae": cc.evaluate(k, [])}, None)
    assert shown.rule_text(k, "percentage points", ard, ids["ae"]["current"]) == (
        "95% CI of the difference above 0"
    )
