"""Tests of the key-results box: ldil2.present.key_results (the direction of an effect, the
computed interpretation sentence, the HTML) on hand-made ARD rows, and ldil2.book.key_results on
the shipped release and on a changed release (arms swapped: the sentence must turn round)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from results_support import write_results

from ldil2 import contract as c
from ldil2.book import key_results as book
from ldil2.book import ledger, primary
from ldil2.book.chapter import Chapter
from ldil2.data.release import load
from ldil2.pipeline.config import PARAMETERS_FILE, read_parameters
from ldil2.pipeline.toc import NEEDS_RESULTS
from ldil2.present import key_results as kr
from ldil2.results.ard import Ard, MissingResult
from ldil2.results.format import to_csv
from ldil2.stats.proportions import response_by_arm

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PARAMS = read_parameters(ROOT / PARAMETERS_FILE)


def _effect(ard: Ard, name: str, population: str, estimate: float, low: float, high: float):
    return ard.record(name, name, "difference_newcombe", {"estimate": estimate, "lcl": low,
                      "ucl": high}, week=24, group="difference", population=population)  # fmt: skip


def _endpoint(ard: Ard, name: str, better: str, pp: tuple, itt: tuple) -> kr.KeyEndpoint:
    effects = {
        c.PER_PROTOCOL: {kr.WEEK24: _effect(ard, name, c.PER_PROTOCOL, *pp),
                         kr.ACROSS: _effect(ard, f"{name}_all", c.PER_PROTOCOL, *pp)},
        c.ITT: {kr.WEEK24: _effect(ard, name, c.ITT, *itt),
                kr.ACROSS: _effect(ard, f"{name}_all", c.ITT, *itt)},
    }  # fmt: skip
    frames = (kr.WEEK24, kr.ACROSS)
    return kr.KeyEndpoint(name, dict.fromkeys(frames, "d"), better, effects,
                          dict.fromkeys(frames, 0.0), dict.fromkeys(frames, 1))  # fmt: skip


@pytest.mark.parametrize(
    ("limits", "better", "expected"),
    [
        ((5.0, 1.0, 9.0), kr.HIGHER, kr.FAVOURS_LDIL2),
        ((5.0, -1.0, 9.0), kr.HIGHER, kr.UNCLEAR),  # the CI includes 0
        ((-5.0, -9.0, -1.0), kr.HIGHER, kr.FAVOURS_PLACEBO),
        ((-5.0, -9.0, -1.0), kr.LOWER, kr.FAVOURS_LDIL2),  # a fall of an index is better
        ((float("nan"),) * 3, kr.HIGHER, kr.UNCLEAR),
    ],
)
def test_direction_reads_the_confidence_interval(limits, better, expected):
    ard = Ard("index")
    assert kr.direction(ard, _effect(ard, "x", c.PER_PROTOCOL, *limits), 0.0, better) == expected


def test_interpretation_reads_differently_when_the_data_say_otherwise():
    ard = Ard("index")
    clear = [_endpoint(ard, "ACR20", kr.HIGHER, (20, 5, 35), (10, 1, 19)),
             _endpoint(ard, "CDAI change", kr.LOWER, (-6, -10, -2), (-6, -10, -2))]  # fmt: skip
    sentence = kr.interpretation(ard, clear, [c.PER_PROTOCOL, c.ITT])
    assert sentence == (
        "Across the visits, the per-protocol analysis favors Ld-IL2 + MTX for ACR20 and CDAI "
        "change; the intention-to-treat analysis agrees. At week 24 alone, the per-protocol "
        "analysis favors Ld-IL2 + MTX for ACR20 and CDAI change; the intention-to-treat "
        "analysis agrees."
    )
    other = Ard("index")
    mixed = [_endpoint(other, "ACR20", kr.HIGHER, (20, 5, 35), (2, -20, 24)),
             _endpoint(other, "CDAI change", kr.LOWER, (3, 1, 5), (1, -3, 5))]  # fmt: skip
    changed = kr.interpretation(other, mixed, [c.PER_PROTOCOL, c.ITT])
    assert changed != sentence
    assert changed.startswith(
        "Across the visits, the per-protocol analysis favors Ld-IL2 + MTX for ACR20 and "
        "favors Placebo + MTX for CDAI change; the intention-to-treat analysis shows no clear "
        "difference for any primary endpoint."
    )


def test_box_html_escapes_text_and_holds_every_endpoint():
    ard = Ard("index")
    endpoints = [_endpoint(ard, "A<b>", kr.HIGHER, (1, 0.5, 2), (1, 0.5, 2))]
    box = kr.key_results_box(ard, endpoints, [c.PER_PROTOCOL, c.ITT], "s & s", "x", "Simulated")
    html = box._repr_html_()
    assert "A&lt;b&gt;" in html and "s &amp; s" in html and "<b>" not in html
    assert html.count("<tr>") == 1 + 2  # header, week 24 and across visits
    assert "Per-protocol population" in html and "Intention-to-treat population" in html


# -- the book module on the shipped release -------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Chapter:
    return Chapter(params=dict(PARAMS), release=load(DATA))


def test_key_results_on_the_shipped_release(shipped):
    result = book.key_results(shipped, "index")
    ard = result.ard
    # the per-protocol week-24 ACR20 difference is the Newcombe difference of the published set
    comparison = response_by_arm(shipped.analysis, "acr20", 24, c.PER_PROTOCOL)
    rid = "acr20.w24.pp.difference.newcombe"
    assert ard.get(rid, "estimate") == pytest.approx(100 * comparison.difference.estimate)
    # the ITT column uses non-responder imputation: every randomized participant counts
    itt = ard.result("acr20.w24.itt.ldil2.proportion_wilson_nri")
    assert itt["N"] == (shipped.release.subjects[c.ARM] == c.ARM_LDIL2).sum()
    assert {row.chapter for row in ard.rows()} == {"index"}
    html = result.tables["key_results_box"]._repr_html_()
    text = re.sub(r"<[^>]+>", " ", html)
    assert "Safety" in text and "Any adverse event" in text
    assert result.values["key_sentence"] in text
    assert result.values["key_data_line"].startswith("Simulated data (release ")
    assert "NaN" not in text and "nan" not in text


def test_key_results_sentence_turns_round_when_the_arms_are_swapped(shipped, tmp_path):
    # a changed input: the same participants with their arms exchanged, so every effect changes
    # sign; the sentence computed from the rows must now favour placebo wherever it favoured
    # Ld-IL2
    data = Path(shutil.copytree(DATA, tmp_path / "data"))
    subjects = pd.read_csv(data / c.SUBJECTS, dtype=str, keep_default_na=False)
    subjects[c.ARM] = subjects[c.ARM].map({c.ARM_LDIL2: c.ARM_PLACEBO, c.ARM_PLACEBO: c.ARM_LDIL2})
    subjects.to_csv(data / c.SUBJECTS, index=False, lineterminator="\n")
    swapped = Chapter(params={**PARAMS, "data_dir": str(data)}, release=load(data))
    before = book.key_results(shipped, "index").values["key_sentence"]
    after = book.key_results(swapped, "index").values["key_sentence"]
    assert "favors Ld-IL2 + MTX" in before and "favors Placebo + MTX" not in before
    assert after == before.replace("Ld-IL2 + MTX", "Placebo + MTX")


def _primary_rows(ch: Chapter) -> list:
    """Every ARD row the Primary chapter's cells record (the key results among them)."""
    results = [
        book.key_results(ch, primary.CHAPTER),
        primary.acr20_primary(ch),
        primary.das28_remission_primary(ch),
        primary.change_primary(ch),
        ledger.published_vs_book(ch),
    ]
    return [row for result in results for row in result.ard.rows()]


@pytest.mark.parametrize("population", [c.PER_PROTOCOL, c.ITT])
def test_landing_key_results_from_primary_rows_equal_the_fitted_box(population, tmp_path):
    # the landing page reads the models' rows from Primary's in the results file of the first
    # phase; its box, texts and ARD rows must be those it would record fitting every model
    ch = Chapter(params={**PARAMS, "population": population}, release=load(DATA))
    fitted = book.key_results(ch, "index")
    results = tmp_path / "results.json"
    write_results(results, {}, _primary_rows(ch))
    read = book.landing_key_results(
        Chapter(params={**ch.params, NEEDS_RESULTS: str(results)}, release=ch.release)
    )
    assert to_csv(read.ard.rows()) == to_csv(fitted.ard.rows())  # sorted; NaN as NaN
    assert {row.chapter for row in read.ard.rows()} == {"index"}
    assert read.values == fitted.values
    box = read.tables["key_results_box"]._repr_html_()
    assert box == fitted.tables["key_results_box"]._repr_html_()


def test_landing_key_results_without_primary_rows_is_an_error(tmp_path):
    # rows of another chapter only: the box's models are missing, so reading them must fail
    results = tmp_path / "results.json"
    write_results(results, {}, [])
    ch = Chapter(params={**PARAMS, NEEDS_RESULTS: str(results)}, release=load(DATA))
    with pytest.raises(MissingResult, match="gee_logit"):
        book.landing_key_results(ch)
