"""Tests of ldil2.book.ledger: the reproduction ledger on the shipped data, a changed value, the
rows it reads, the Primary chapter's published table and the landing page's summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from results_support import write_results

from ldil2 import testing
from ldil2.book import common, ledger, primary
from ldil2.book.chapter import Chapter
from ldil2.data.release import load
from ldil2.derive.analysis import make_analysis_table
from ldil2.pipeline.config import PARAMETERS_FILE, read_parameters
from ldil2.pipeline.toc import NEEDS_RESULTS
from ldil2.present.ledger import record_number
from ldil2.results.ard import Ard
from ldil2.results.format import to_csv
from ldil2.results.ledger import LEDGER, SUMMARY
from ldil2.stats.proportions import response_by_arm

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PARAMS = read_parameters(ROOT / PARAMETERS_FILE)


def _chapter(data_dir: Path = DATA, **params) -> Chapter:
    return Chapter(params={**PARAMS, **params}, release=load(data_dir))


@pytest.fixture(scope="module")
def shipped() -> Chapter:
    return _chapter()


@pytest.fixture(scope="module")
def shipped_ledger(shipped):
    ard = Ard(ledger.CHAPTER)
    return ard, ledger.record_ledger(ard, shipped)


@pytest.fixture
def release_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA, tmp_path / "data"))


def _by_key(ard: Ard, entries) -> dict:
    return {e.key: {"recomputed": ard.get(e.ledger, "estimate"),
                    "published": ard.get(*e.published),
                    "reproduced": ard.get(e.ledger, "reproduced")} for e in entries}  # fmt: skip


def expected_status(published: float, recomputed: float, statistic: str, factor) -> str:
    """The ledger's verdict, re-implemented: exact agreement at the printed precision (one
    decimal for percentages, three for P values, counts as they are) is "reproduced"; otherwise
    a number within its factor is "consistent (within a factor of f)"; else "differs"."""
    digits = {"percent": 1, "p_value": 3}.get(statistic)
    same = recomputed == published if digits is None else (
        f"{recomputed:.{digits}f}" == f"{published:.{digits}f}"
    )  # fmt: skip
    if same:
        return "reproduced"
    if pd.notna(factor) and published / factor <= recomputed <= published * factor:
        return f"consistent (within a factor of {factor:g})"
    return "differs"


def shipped_statuses(ard, entries) -> list[str]:
    published = pd.read_csv(DATA / "published.csv")
    return [
        expected_status(row["value"], ard.get(e.ledger, "estimate"), row["statistic"],
                        row["tolerance"])
        for e, (_, row) in zip(entries, published.iterrows(), strict=True)
    ]  # fmt: skip


def summary_of(statuses: list[str]) -> str:
    exact = statuses.count("reproduced")
    within = sum(s.startswith("consistent") for s in statuses)
    text = f"{exact} of {len(statuses)} published numbers reproduced exactly"
    return f"{text}, {within} consistent (within a factor of 2)" if within else text


def test_record_ledger_reproduces_every_published_number_on_shipped_data(shipped, shipped_ledger):
    ard, entries = shipped_ledger
    published = pd.read_csv(DATA / "published.csv")
    assert [e.key for e in entries] == published["key"].tolist()
    statuses = shipped_statuses(ard, entries)
    assert "differs" not in statuses  # the release was drawn to match the record
    # every percentage and count agrees exactly; a P value only when equal at 3 decimals
    exact = published["comparison"] == "exact"
    assert all(s == "reproduced" for s, e in zip(statuses, exact, strict=True) if e)
    for e, status in zip(entries, statuses, strict=True):
        assert ard.get(e.ledger, "reproduced") == (status == "reproduced")
        assert ard.get(e.ledger, "consistent") == status.startswith("consistent")
    values = ledger.ledger_result(shipped).values
    assert values["ledger_summary"] == summary_of(statuses)
    assert values["ledger_reproduced"] == statuses.count("reproduced")
    assert values["ledger_consistent"] == len(statuses) - statuses.count("reproduced")
    assert values["ledger_total"] == len(published)
    assert values["ledger_differs"] == "none"
    assert values["ledger_caveat"].startswith("The simulated release was generated to match")


def test_record_ledger_recomputes_counts_and_percentages_from_the_csvs(shipped_ledger):
    ard, entries = shipped_ledger
    rows = _by_key(ard, entries)
    # independent count from the CSV text: 17 completers on Ld-IL2 (registry)
    subjects = pd.read_csv(DATA / "subjects.csv")
    completers = ((subjects["arm"] == "ldil2") & subjects["completed"]).sum()
    assert rows["n_compl_ldil2"]["recomputed"] == completers
    # 12 of 17 responders at week 12 = 70.588...%, published 70.6 -> difference -0.0118
    row = rows["acr20_w12_ldil2"]
    assert row["recomputed"] == pytest.approx(100 * 12 / 17)
    assert row["recomputed"] - row["published"] == pytest.approx(100 * 12 / 17 - 70.6)


def test_record_ledger_flags_a_changed_published_value(release_copy):
    line = testing.line_of(release_copy, "published.csv", key="acr20_w12_ldil2")
    testing.set_value(release_copy, "published.csv", line, "value", "71.6")
    result = ledger.ledger_result(_chapter(release_copy))
    assert result.values["ledger_differs"] == "acr20_w12_ldil2"
    total = result.values["ledger_total"]
    exact, within = result.values["ledger_reproduced"], result.values["ledger_consistent"]
    assert exact + within == total - 1
    assert result.values["ledger_summary"].startswith(
        f"{exact} of {total} published numbers reproduced exactly"
    )


def test_record_ledger_flags_a_changed_data_value(release_copy):
    # make one week-12 Ld-IL2 ACR20 responder of the per-protocol set a non-responder: their
    # 68-joint tender count at week 12 goes back to its baseline value (0% improvement)
    table = make_analysis_table(load(release_copy))
    responders = table[
        (table["week"] == 12) & (table["arm"] == "ldil2") & table["per_protocol"] & table["acr20"]
    ]
    subject = responders.iloc[0]
    line = testing.line_of(
        release_copy, "assessments.csv", subject_id=subject["subject_id"], week=12
    )
    testing.set_value(
        release_copy, "assessments.csv", line, "tjc68", str(int(subject["base_tjc68"]))
    )
    ard = Ard(ledger.CHAPTER)
    rows = _by_key(ard, ledger.record_ledger(ard, _chapter(release_copy)))
    assert rows["acr20_w12_ldil2"]["reproduced"] == 0
    # 11/17 = 64.7%
    assert rows["acr20_w12_ldil2"]["recomputed"] == pytest.approx(100 * 11 / 17)
    assert rows["n_pp_ldil2"]["reproduced"] == 1


def test_ledger_table_prints_numbers_as_the_record_does(shipped):
    shown = ledger.ledger_result(shipped).tables["ledger_table"].to_frame()
    shown = shown.set_index("Published statement")
    acr20 = shown.loc["ACR20 at week 12, Ld-IL2 + MTX: 70.6%"]
    # 12/17 = 70.588...%: printed 70.6%, difference 70.588 - 70.6 = -0.01 percentage points
    assert acr20[["Published", "Recomputed", "Difference", "Rule", "Status"]].tolist() == [
        "70.6%",
        "70.6%",
        "-0.01",
        "equal at one decimal",
        "reproduced",
    ]
    count = shown.loc["Randomized (started), Ld-IL2 + MTX: 23"]
    assert count[["Published", "Recomputed", "Difference", "Rule"]].tolist() == [
        "23",
        "23",
        "+0",
        "equal",
    ]
    p_row = shown.loc[shown["Rule"] == "within a factor of 2"].iloc[0]
    assert p_row["Published"] == "0.014"


def test_ledger_table_cells_come_from_the_ard(shipped):
    result = ledger.ledger_result(shipped)
    ard, shown = result.ard, result.tables["ledger_table"].to_frame()
    compared = [r for r in ard.rows() if r.analysis == LEDGER and r.stat == "estimate"
                and r.endpoint != SUMMARY]  # fmt: skip
    statistics = pd.read_csv(DATA / "published.csv")["statistic"]
    assert len(compared) == len(shown) == len(statistics)
    for row, (_, cells), statistic in zip(compared, shown.iterrows(), statistics, strict=True):
        assert cells["Recomputed"] == record_number(row.value, statistic)
        reproduced = ard.get(row.result_id, "reproduced")
        consistent = ard.get(row.result_id, "consistent")
        expected = "reproduced" if reproduced == 1 else "differs"
        if consistent == 1:
            expected = f"consistent (within a factor of {ard.get(row.result_id, 'tolerance'):g})"
        assert cells["Status"] == expected
    summary = next(r.result_id for r in ard.rows() if r.endpoint == SUMMARY)
    assert result.values["ledger_total"] == ard.get(summary, "N")


def test_ledger_reads_the_rows_the_analyses_record(shipped, shipped_ledger):
    ard, entries = shipped_ledger
    books = {e.key: e.book for e in entries}
    # the book's value of each published number is the row the efficacy analyses record
    assert books["acr20_w12_ldil2"] == ("acr20.w12.pp.ldil2.proportion_wilson", "percent")
    assert books["acr20_p"] == ("acr20.all.pp.difference.gee_logit", "p")
    assert books["cdai_p"] == ("chg_cdai.all.pp.difference.mixed_model", "p")
    assert books["n_pp_ldil2"] == ("participants.all.pp.ldil2.count", "N")
    assert books["n_compl_ldil2"] == ("completed.all.itt.ldil2.count", "n")
    for entry in entries:
        assert ard.get(entry.ledger, "estimate") == ard.get(*entry.book)
    # ... with the values the Primary chapter records under the same result_ids
    recorded = [primary.acr20_primary(shipped).ard, primary.change_primary(shipped).ard]
    shared = 0
    for other in recorded:
        for entry in entries:
            if other.result(entry.book[0]):
                assert other.get(*entry.book) == pytest.approx(ard.get(*entry.book))
                shared += 1
    assert shared >= 7  # 4 ACR20 percentages, the GEE P, the CDAI and SDAI mixed-model P


def test_published_vs_book_in_the_published_population_has_no_edition_column(shipped):
    result = ledger.published_vs_book(shipped)
    frame = result.tables["published_table"].to_frame()
    assert list(frame.columns) == [
        "Published statement", "Source", "Published", "This book (published population)",
        "Status",
    ]  # fmt: skip
    assert (
        result.values["published_summary"] == ledger.ledger_result(shipped).values["ledger_summary"]
    )
    assert {row.chapter for row in result.ard.rows()} == {"primary"}


def test_published_vs_book_adds_the_itt_edition_values(shipped):
    ch = _chapter(population="itt")
    frame = ledger.published_vs_book(ch).tables["published_table"].to_frame()
    frame = frame.set_index("Published statement")
    column = "This edition (intention-to-treat population)"
    acr20 = frame.loc["ACR20 at week 12, Ld-IL2 + MTX: 70.6%"]
    expected = response_by_arm(ch.analysis, "acr20", 12, "itt").percent("ldil2")
    assert acr20[column] == f"{expected:.1f}%"
    assert acr20["This book (published population)"] == "70.6%"
    # counts are compared in the record's population only
    assert frame.loc["Randomized (started), Ld-IL2 + MTX: 23", column] == ""


def test_landing_summary_is_the_ledger_summary(shipped):
    result = ledger.landing_summary(shipped)
    full = ledger.ledger_result(shipped).values
    assert result.values == {
        "ledger_summary": full["ledger_summary"],
        "ledger_caveat": full["ledger_caveat"],
    }
    assert {row.chapter for row in result.ard.rows()} == {"index"}


@pytest.mark.parametrize("population", ["per_protocol", "itt"])
def test_landing_summary_from_the_ledger_chapters_results_equals_the_recomputed(
    population, tmp_path
):
    # in the second phase the landing page copies the Ledger chapter's rows and summary from
    # the first phase's results: the same values and rows as recomputing the ledger
    ch = Chapter(params={**PARAMS, "population": population}, release=load(DATA))
    chapter = [common.edition_facts(ch, ledger.CHAPTER), ledger.ledger_result(ch)]
    results = tmp_path / "results.json"
    values = {f"{ledger.CHAPTER}:{k}": v for r in chapter for k, v in r.values.items()}
    write_results(results, values, [row for r in chapter for row in r.ard.rows()])
    read = ledger.landing_summary(
        Chapter(params={**ch.params, NEEDS_RESULTS: str(results)}, release=ch.release)
    )
    computed = ledger.landing_summary(ch)
    assert read.values == computed.values
    assert to_csv(read.ard.rows()) == to_csv(computed.ard.rows())


# ---------------------------------------------------------------------------------------------
# The built editions (slow: share the session builds)
# ---------------------------------------------------------------------------------------------


def _page(out: Path, name: str) -> str:
    return (out / "html" / "chapters" / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.build
def test_itt_edition_builds_and_recomputes_the_ledger_in_the_published_populations(
    itt_book: Path,
):
    report = json.loads((itt_book / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "ok"
    assert report["parameters"]["population"] == "itt"
    assert all(chapter["status"] != "failed" for chapter in report["chapters"].values())
    # the ledger compares each number in the population the record states, whatever the edition
    expected = ledger.ledger_result(_chapter()).values["ledger_summary"]
    assert expected in _page(itt_book, "ledger")
    assert "intention-to-treat population" in _page(itt_book, "primary")
