"""Tests of the efficacy chapter modules (ldil2.book.efficacy, .primary, .secondary): the
published numbers on the shipped release, every glued text and table cell read from the ARD
rows, one row per (endpoint, population, week, group, stat) and analysis, and the chapters'
functions on a small release with missing visits (no kernel)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from efficacy_cases import across_odds_ratio

from ldil2 import contract as c
from ldil2.book import efficacy, primary, secondary
from ldil2.book.chapter import Chapter
from ldil2.book.ledger import published_vs_book
from ldil2.data.release import load
from ldil2.derive.analysis import EULAR_LEVELS
from ldil2.pipeline.config import PARAMETERS_FILE, read_parameters
from ldil2.present.endpoints import (
    ENDPOINT_HEADERS,
    GEE_HEADERS,
    comparison_values,
    eular_table_frame,
)
from ldil2.present.format import NOT_ESTIMABLE, format_p, p_cell
from ldil2.present.labels import ENDPOINT_LABELS, EULAR_CATEGORY_LABELS
from ldil2.results.ard import Ard
from ldil2.results.efficacy import record_gee, record_shares
from ldil2.stats.ledger import published_analysis

ROOT = Path(__file__).resolve().parents[1]

PRIMARY = (primary.acr20_primary, primary.das28_remission_primary, primary.change_primary)
SECONDARY = (
    secondary.acr50_70_by_visit,
    secondary.das28_crp_summary,
    secondary.remission_lda,
    secondary.eular_by_visit,
    secondary.boolean_remission_by_visit,
    secondary.haq_summary,
    secondary.components_over_time,
    secondary.forest_week24,
)


@pytest.fixture(scope="module")
def shipped() -> Chapter:
    """The chapter object of the shipped release with the book's parameters."""
    return Chapter(params=read_parameters(ROOT / PARAMETERS_FILE), release=load(ROOT / "data"))


@pytest.fixture(scope="module")
def primary_results(shipped):
    return {f.__name__: f(shipped) for f in PRIMARY}


@pytest.fixture(scope="module")
def secondary_results(shipped):
    return {f.__name__: f(shipped) for f in SECONDARY}


# ---------------------------------------------------------------------------------------------
# Small synthetic frames
# ---------------------------------------------------------------------------------------------


def test_eular_shares_and_table_count_each_category_per_arm_and_visit():
    table = pd.DataFrame(
        {
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 3,
            c.WEEK: [0, 12, 12, 0, 12, 12],
            "eular": ["none", "good", "moderate", None, "none", None],
        }
    )
    shares = secondary.eular_shares(table).set_index([c.ARM, c.WEEK, "eular"])
    # ldil2 week 12: good 1 of 2 (50%); placebo week 12: none 1 of 1 (100%); baseline left out
    assert shares.loc[(c.ARM_LDIL2, 12, "good"), "percent"] == 50.0
    assert shares.loc[(c.ARM_PLACEBO, 12, "none"), "n"] == 1
    assert shares.loc[(c.ARM_PLACEBO, 12, "good"), "total"] == 1
    assert 0 not in shares.index.get_level_values(c.WEEK)
    ard = Ard("test")
    ids = record_shares(ard, secondary.eular_shares(table), "eular", EULAR_CATEGORY_LABELS)
    frame = eular_table_frame(ard, ids, EULAR_LEVELS)
    good = frame[frame["EULAR response"] == "Good"].iloc[0]
    assert good[f"{c.ARM_LABELS[c.ARM_LDIL2]}, n/N (%)"] == "1/2 (50.0%)"
    assert good[f"{c.ARM_LABELS[c.ARM_PLACEBO]}, n/N (%)"] == "0/1 (0.0%)"


def test_endpoint_labels_cover_every_reported_binary_endpoint():
    for endpoint in secondary.FOREST_ENDPOINTS:
        assert endpoint in ENDPOINT_LABELS


def _fake_chapter(table: pd.DataFrame, population: str, imputation: str) -> SimpleNamespace:
    subjects = table.drop_duplicates(c.SUBJECT_ID)[[c.SUBJECT_ID, c.ARM, *c.POPULATION_FLAGS]]
    release = SimpleNamespace(subjects=subjects, is_simulated=True, version="2099.1.1")
    return SimpleNamespace(
        params={"imputation": imputation}, release=release, population=population, analysis=table
    )


def _frame(week: int, responses: list[bool], flag: str) -> pd.DataFrame:
    arms = [c.ARM_LDIL2] * (len(responses) // 2) + [c.ARM_PLACEBO] * (len(responses) // 2)
    frame = pd.DataFrame(
        {
            c.SUBJECT_ID: [f"S{i}" for i in range(len(responses))],
            c.ARM: arms,
            c.WEEK: week,
            "acr20": pd.array(responses, dtype="boolean"),
        }
    )
    for population_flag in c.POPULATION_FLAGS:
        frame[population_flag] = population_flag == flag
    return frame


def test_comparison_table_caption_and_footnote():
    ch = _fake_chapter(
        _frame(12, [True, True, False, True], c.PER_PROTOCOL), c.PER_PROTOCOL, "none"
    )
    ard = Ard("test", ch.population)
    ids = efficacy.binary(ard, ch, "acr20", 12)
    table = efficacy.comparison_table(ch, ard, [ids], "ACR20")
    assert table.caption == (
        "ACR20 at week 12, per-protocol population (Ld-IL2 + MTX n = 2; Placebo + MTX n = 2)"
    )
    row = table.to_frame().iloc[0]
    assert row["Ld-IL2 + MTX, n/N (%)"] == "2/2 (100.0%)"
    assert row[ENDPOINT_HEADERS["difference"]].startswith("50.0 (")
    assert row[ENDPOINT_HEADERS["fisher"]] == p_cell(ard.get(ids["fisher"], "p"))
    notes = " ".join(table.footnote)
    assert "Newcombe" in notes and "Fisher" in notes and "observed cases" in notes
    # the page says once that the data are simulated; the footnote names the release
    assert "Simulated data" not in notes and "Release 2099.1.1." in notes


def test_comparison_table_states_the_across_visit_model_and_imputation():
    ch = _fake_chapter(_frame(24, [True, False, False, True], c.ITT), c.ITT, "nri")
    across = across_odds_ratio()
    ard = Ard("test", ch.population)
    ids = efficacy.binary(ard, ch, "acr20", 24)
    gee = record_gee(ard, "acr20", "ACR20", across, imputation="nri")
    table = efficacy.comparison_table(ch, ard, [ids], "ACR20", across=gee.across)
    assert table.caption.startswith("ACR20 at week 24, intention-to-treat population")
    assert (
        "Across visits: odds ratio 2.50 (95% CI 1.10 to 5.70), P = 0.014. Logistic GEE."
        in table.footnote
    )
    assert any("non-responder imputation" in note for note in table.footnote)
    # the analyses of imputed data are other analyses (other result ids)
    assert ard.row(ids["fisher"], "p").analysis == "fisher_nri"
    assert ard.row(gee.across, "p").analysis == "gee_logit_nri"


def test_odds_ratio_with_a_zero_cell_reads_not_estimable_and_the_footnote_says_why():
    # week 12: every Ld-IL2 participant responds (a 0 cell); week 24: no 0 cell (issue 13 item 3)
    frames = [_frame(12, [True, True, False, True], c.PER_PROTOCOL),
              _frame(24, [True, False, False, True], c.PER_PROTOCOL)]  # fmt: skip
    ch = _fake_chapter(pd.concat(frames, ignore_index=True), c.PER_PROTOCOL, "none")
    ard = Ard("test", ch.population)
    comparisons = [efficacy.binary(ard, ch, "acr20", w) for w in (12, 24)]
    zero = efficacy.compare_binary_description(ch, ard, comparisons[:1])
    plain = efficacy.compare_binary_description(ch, ard, comparisons[1:])
    both = efficacy.compare_binary_description(ch, ard, comparisons)
    assert "not estimable when a cell is 0" in zero and "no continuity correction" in zero
    assert "not estimable" not in plain and "Woolf logit interval;" in plain
    assert both == zero and "Haldane" not in both
    assert np.isnan(ard.get(comparisons[0]["odds_ratio"], "estimate"))
    values = comparison_values(ard, comparisons[0], "acr20_w12")
    assert values["acr20_w12_or"] == NOT_ESTIMABLE
    assert "nan" not in " ".join(values.values())


# ---------------------------------------------------------------------------------------------
# The shipped release: the published numbers, and every number from the ARD
# ---------------------------------------------------------------------------------------------


def test_acr20_primary_glues_the_published_counts(primary_results):
    values = primary_results["acr20_primary"].values
    # published record: 12/17 vs 10/23 at week 12, 13/17 vs 13/23 at week 24
    assert values["acr20_w12_ldil2_nN"] == "12/17 (70.6%)"
    assert values["acr20_w12_placebo_nN"] == "10/23 (43.5%)"
    assert values["acr20_w24_ldil2_pct"] == "76.5%"
    assert values["acr20_w24_placebo_pct"] == "56.5%"
    assert values["acr20_gee_published_p"] == "P = 0.014"


def test_primary_across_visit_models_are_the_ledgers(shipped, primary_results):
    # the chapter and the reproduction ledger report the same published analyses: the ledger's
    # ARD rows (ldil2.book.ledger) and the chapter's are the same rows with the same values
    ledger = published_vs_book(shipped).ard
    mine = {row.key: row.value for row in _rows(primary_results.values())}
    for key in (
        ("acr20.all.pp.difference.gee_logit", "p"),
        ("chg_cdai.all.pp.difference.mixed_model", "p"),
        ("acr20.all.pp.difference.published", "p"),
        ("acr20.w12.pp.ldil2.proportion_wilson", "percent"),
    ):
        assert key in mine and key in {row.key for row in ledger.rows()}
    shared = [row for row in ledger.rows() if row.key in mine]
    assert len(shared) > 10
    assert all(row.value == mine[row.key] for row in shared)
    # and they are the P values of the ledger's analysis (ldil2.stats.ledger)
    for endpoint, rid in (("acr20", "acr20.all.pp.difference.gee_logit"),
                          ("cdai", "chg_cdai.all.pp.difference.mixed_model")):  # fmt: skip
        ledger_p = published_analysis(shipped.analysis, endpoint, c.PER_PROTOCOL).p_value
        assert mine[(rid, "p")] == pytest.approx(ledger_p)


def test_primary_glued_texts_are_read_from_the_ard(primary_results):
    acr20 = primary_results["acr20_primary"]
    ard, values = acr20.ard, acr20.values
    assert values["acr20_w24_fisher"] == format_p(ard.get("acr20.w24.pp.difference.fisher", "p"))
    assert values["acr20_gee_p"] == format_p(ard.get("acr20.all.pp.difference.gee_logit", "p"))
    assert values["acr20_gee_published_p"] == format_p(
        ard.get("acr20.all.pp.difference.published", "p")
    )
    n = ard.result("acr20.w12.pp.ldil2.proportion_wilson")
    assert values["acr20_w12_ldil2_nN"] == f"{n['n']:.0f}/{n['N']:.0f} ({n['percent']:.1f}%)"
    change = primary_results["change_primary"]
    mean = change.ard.result("chg_cdai.w24.pp.placebo.mean_t")
    assert change.values["cdai_w24_placebo"] == (
        f"{mean['mean']:.1f} (95% CI {mean['lcl']:.1f} to {mean['ucl']:.1f}; n = {mean['n']:.0f})"
    )
    model = change.ard.result("chg_sdai.all.pp.difference.mixed_model")
    assert change.values["sdai_effect"] == (
        f"{model['estimate']:.2f} (95% CI {model['lcl']:.2f} to {model['ucl']:.2f})"
    )


def test_acr20_tables_cells_are_the_ard_rows_and_name_their_methods(primary_results):
    acr20 = primary_results["acr20_primary"]
    ard = acr20.ard
    fisher = acr20.tables["acr20_table"].to_frame().set_index("Week")
    gee = acr20.tables["acr20_gee_table"].to_frame().set_index("Week")
    # the week-24 comparison twice, by two analyses, each header naming its method
    assert fisher.loc["24", "P (Fisher's exact)"] == p_cell(
        ard.get("acr20.w24.pp.difference.fisher", "p")
    )
    assert gee.loc["24", GEE_HEADERS["p"]] == p_cell(
        ard.get("acr20.w24.pp.difference.gee_logit", "p")
    )
    rd = ard.result("acr20.w24.pp.difference.gee_risk_difference")
    assert gee.loc["24", GEE_HEADERS["risk_difference"]] == (
        f"{rd['estimate']:.1f} ({rd['lcl']:.1f} to {rd['ucl']:.1f})"
    )
    d = ard.result("acr20.w24.pp.difference.newcombe")
    assert fisher.loc["24", ENDPOINT_HEADERS["difference"]] == (
        f"{d['estimate']:.1f} ({d['lcl']:.1f} to {d['ucl']:.1f})"
    )
    # the two analyses give different P values for one comparison: their analysis ids differ
    assert fisher.loc["24", "P (Fisher's exact)"] != gee.loc["24", GEE_HEADERS["p"]]


LABEL_COLUMNS = ["Week", "Endpoint", "EULAR response"]


def test_every_table_cell_number_is_an_ard_value(primary_results, secondary_results):
    # every number printed in a table cell of the efficacy pages is, at its printed precision,
    # the value of an ARD row of the same result (labels, captions and footnotes aside; a P
    # cell "< 0.001" is a threshold)
    for result in [*primary_results.values(), *secondary_results.values()]:
        if result.ard is None:
            continue
        values = [row.value for row in result.ard.rows() if math.isfinite(row.value)]
        for name, table in result.tables.items():
            frame = table.to_frame().drop(columns=LABEL_COLUMNS, errors="ignore")
            for cell in frame.to_numpy().ravel():
                for number in re.findall(r"-?\d+\.?\d*", str(cell).replace("< 0.001", "")):
                    digits = len(number.partition(".")[2])
                    assert any(f"{v:.{digits}f}" == number for v in values), (
                        f"{name}: {number} in {cell!r} is no ARD value"
                    )


def _rows(results):
    return [row for result in results for row in (result.ard.rows() if result.ard else [])]


def test_one_value_per_endpoint_population_week_group_stat_and_analysis(
    primary_results, secondary_results
):
    # issue 15 item 2: rows that share endpoint, population, week, group and stat differ in
    # value only when their analysis differs
    for results in (primary_results, secondary_results):
        seen = defaultdict(set)
        for row in _rows(results.values()):
            key = (row.endpoint, row.population, row.week, row.group, row.stat, row.analysis)
            seen[key].add(row.value)
        assert not {k: v for k, v in seen.items() if len(v) > 1}


def test_week24_change_on_primary_is_the_mixed_model(primary_results):
    # the week-24 CDAI P of the Primary page is the mixed model's, not the Estimands ANCOVA's
    row = primary_results["change_primary"].ard.row("chg_cdai.w24.pp.difference.mixed_model", "p")
    assert row.analysis == "mixed_model" and row.week == c.LAST_WEEK


def test_secondary_values_are_read_from_the_ard(secondary_results):
    haq = secondary_results["haq_summary"]
    p = haq.ard.get("chg_haq_di.all.pp.difference.mixed_model", "p")
    assert haq.values["haq_p"] == format_p(p)
    eular = secondary_results["eular_by_visit"]
    share = eular.ard.result("eular_good.w24.pp.ldil2.count")
    good = eular.tables["eular_table"].to_frame()
    cell = good[(good["Week"] == "24") & (good["EULAR response"] == "Good")].iloc[0, 2]
    assert cell == f"{share['n']:.0f}/{share['N']:.0f} ({share['percent']:.1f}%)"
    # the forest plot draws the rows of the forest table
    forest = secondary_results["forest_week24"]
    points = forest.figures["forest_fig"].axes[0].lines[0].get_xdata()
    assert points[0] == pytest.approx(
        forest.ard.get("acr20.w24.pp.difference.newcombe", "estimate")
    )


# ---------------------------------------------------------------------------------------------
# A small release with withdrawals and missed visits, observed cases and NRI
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(small_release: Path):
    """The small release of ``conftest.small_release`` (one withdrawn per arm, missed visits),
    loaded."""
    return load(small_release)


@pytest.mark.parametrize(
    "overrides", [{}, {"population": c.ITT, "imputation": "nri"}], ids=["pp", "itt-nri"]
)
def test_chapter_functions_run_on_a_small_release(shipped, small, overrides):
    ch = Chapter(params={**shipped.params, **overrides}, release=small)
    population = overrides.get("population", c.PER_PROTOCOL)
    results = [f(ch) for f in (*PRIMARY, *SECONDARY)]
    values = {k: v for r in results for k, v in r.values.items()}
    expected_n = {c.PER_PROTOCOL: "5", c.ITT: "6"}[population]  # completers vs randomized
    denominator = values[f"acr20_w{c.LAST_WEEK}_ldil2_nN"].split("/")[1].split(" ")[0]
    assert denominator == expected_n  # NRI (ITT) keeps the withdrawn participant
    for result in results:
        texts = [*map(str, result.values.values()), *(t.to_html() for t in result.tables.values())]
        assert not [text for text in texts if re.search(r"\bnan\b", text)]
        for table in result.tables.values():
            assert c.POPULATION_LABELS[population] in table.caption
        if result.ard is not None:
            assert {row.chapter for row in result.ard.rows()} <= {"primary", "secondary"}
            assert all(row.population in (population, c.PER_PROTOCOL) for row in result.ard.rows())
    if overrides:
        rows = _rows(results)
        assert any(row.analysis == "gee_risk_difference_nri" for row in rows)


def test_published_p_is_not_published_without_a_record(shipped):
    release = replace(shipped.release, published=shipped.release.published[:0])
    ch = Chapter(params=shipped.params, release=release)
    ard = Ard("primary", ch.population)
    ids, _ = efficacy.change_model(ard, ch, "cdai")
    assert primary.published_p_text(ard, ch, "cdai", ids.across) == "not published"
    assert not [row for row in ard.rows() if row.analysis == "published"]
