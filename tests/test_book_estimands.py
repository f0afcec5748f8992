"""Tests of ldil2.book.estimands: the estimands chapter on the shipped data (every glued text and
table cell read from the ARD rows, one analysis id per estimand), on a small release, and in the
built book."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2 import testing
from ldil2.book import estimands, ledger, primary
from ldil2.book.chapter import Chapter
from ldil2.data.release import load
from ldil2.pipeline.config import PARAMETERS_FILE, read_parameters
from ldil2.present.format import format_p, p_cell
from ldil2.stats.imputation import von_hippel_imputations

ROOT = Path(__file__).resolve().parents[1]
PARAMS = read_parameters(ROOT / PARAMETERS_FILE)


@pytest.fixture(scope="module")
def shipped() -> Chapter:
    return Chapter(params={**PARAMS, "mi_imputations": 10}, release=load(ROOT / "data"))


@pytest.fixture(scope="module")
def sensitivity(shipped):
    return estimands.sensitivity_result(shipped)


def test_definitions_result_counts_the_withdrawn_from_subjects_csv(shipped):
    result = estimands.definitions_result(shipped)
    subjects = pd.read_csv(ROOT / "data" / "subjects.csv")
    for arm in c.ARMS:
        in_arm = subjects["arm"] == arm
        assert result.values[f"est_randomized_{arm}"] == (in_arm & subjects["itt"]).sum()
        assert result.values[f"est_withdrawn_{arm}"] == (in_arm & ~subjects["completed"]).sum()
        rid = f"withdrawn.all.itt.{arm}.participant_flow"
        assert result.values[f"est_withdrawn_{arm}"] == result.ard.get(rid, "n")
    assert "estimand_table" in result.tables


def test_sensitivity_values_are_read_from_the_ard(sensitivity):
    ard, values = sensitivity.ard, sensitivity.values
    mi = "chg_cdai.w24.itt.difference.mi_ancova"
    assert values["cdai_mi_p"] == format_p(ard.get(mi, "p"))
    assert values["cdai_mi_fmi"] == f"{100 * ard.get(mi, 'fmi'):.0f}%"
    assert values["cdai_mi_effect"] == (
        f"{ard.get(mi, 'estimate'):.1f} (95% CI {ard.get(mi, 'lcl'):.1f} to "
        f"{ard.get(mi, 'ucl'):.1f})"
    )
    # von Hippel's rule: 10 pilot imputations, then as many as the rule asks for
    choice = "chg_cdai.w24.itt.all.mi_imputations"
    assert ard.get(choice, "count") == values["cdai_mi_pilot"] == 10
    m = von_hippel_imputations(ard.get(choice, "fmi"), 10, ard.get(choice, "tolerance"))
    assert values["cdai_mi_imputations"] == ard.get(mi, "count") == ard.get(choice, "estimate") == m
    assert values["mi_se_cv"] == f"{100 * PARAMS['mi_se_cv']:g}%"
    mc = "chg_cdai.w24.itt.difference.mi_monte_carlo"
    assert values["cdai_mi_mcse"] == (
        f"Monte Carlo standard error {ard.get(mc, 'se'):.2f} for the estimate and "
        f"{ard.get(mc, 'p'):.3f} for the P value"
    )
    assert 0 < ard.get(mc, "p") < 0.02
    assert values["cdai_ancova_p"] == format_p(ard.get("chg_cdai.w24.pp.difference.ancova", "p"))
    tipping = "chg_cdai.w24.itt.ldil2.tipping_point"
    assert ard.get(tipping, "max") == 30.0
    assert values["cdai_tipping_delta"] in (f"{ard.get(tipping, 'estimate'):.1f}", "none in range")


def test_each_estimand_has_its_own_analysis_id(sensitivity):
    analyses = {(r.endpoint, r.population, r.analysis) for r in sensitivity.ard.rows()}
    for expected in [
        ("acr20", c.PER_PROTOCOL, "proportion_wilson"),
        ("acr20", c.PER_PROTOCOL, "gee_logit"),
        ("acr20", c.ITT, "proportion_wilson_nri"),
        ("acr20", c.ITT, "difference_newcombe_nri"),
        ("acr20", c.ITT, "fisher_nri"),
        ("acr20", c.ITT, "gee_logit_nri"),
        ("das28_esr_remission", c.ITT, "proportion_wilson_nri"),
        ("chg_cdai", c.PER_PROTOCOL, "mixed_model"),
        ("chg_cdai", c.PER_PROTOCOL, "ancova"),
        ("chg_cdai", c.ITT, "mi_ancova"),
        ("chg_cdai", c.ITT, "tipping_point"),
    ]:
        assert expected in analyses
    # the observed-case analyses are never recorded in the ITT population here: an ITT edition's
    # Primary chapter records those (same endpoint, population, week and group, other values)
    assert not {a for e, p, a in analyses if p == c.ITT} & {"proportion_wilson", "gee_logit"}


def test_week24_cdai_p_values_name_their_method(shipped, sensitivity):
    # the Primary page's week-24 P is the mixed model's contrast; the Estimands table's is the
    # ANCOVA: two analysis ids, two values, both read from the ARD
    ard = sensitivity.ard
    mixed = ard.get("chg_cdai.w24.pp.difference.mixed_model", "p")
    ancova = ard.get("chg_cdai.w24.pp.difference.ancova", "p")
    assert mixed != pytest.approx(ancova)
    assert sensitivity.values["cdai_mixed_w24_p"] == format_p(mixed)
    assert primary.change_primary(shipped).ard.get(
        "chg_cdai.w24.pp.difference.mixed_model", "p"
    ) == pytest.approx(mixed)
    frame = sensitivity.tables["estimand_results_table"].to_frame()
    row = frame[(frame["Endpoint"] == "Change in CDAI") & (frame["Time point"] == "week 24")]
    assert row.iloc[0]["Analysis"] == "ANCOVA: difference in mean change"
    assert row.iloc[0]["P"] == p_cell(ancova)


def test_results_table_cells_are_read_from_the_ard(sensitivity):
    ard = sensitivity.ard
    frame = sensitivity.tables["estimand_results_table"].to_frame()
    assert len(frame) == 12  # ACR20 2 x (week 24, across visits), DAS28 2, CDAI 3, SDAI 3
    acr20 = frame[frame["Endpoint"] == "ACR20 response"].set_index(["Estimand", "Time point"])
    nri = acr20.loc[("ITT with non-responder imputation", "week 24")]
    rid = "acr20.w24.itt.ldil2.proportion_wilson_nri"
    n, total = int(ard.get(rid, "n")), int(ard.get(rid, "N"))
    assert nri["Ld-IL2 + MTX"] == f"{n}/{total} ({100 * n / total:.1f}%)"
    assert nri["P"] == p_cell(ard.get("acr20.w24.itt.difference.fisher_nri", "p"))
    gee = acr20.loc[("Per-protocol (as published)", "across visits")]
    assert gee["Placebo + MTX"] == f"n = {int(ard.get('acr20.all.pp.placebo.gee_logit', 'N'))}"
    mi = frame[frame["Estimand"] == "ITT with multiple imputation"].iloc[0]
    arm = "chg_cdai.w24.itt.ldil2.mi_ancova"
    assert mi["Ld-IL2 + MTX"] == (
        f"n = {int(ard.get(arm, 'N'))} ({int(ard.get(arm, 'n'))} imputed); "
        f"mean change {ard.get(arm, 'mean'):.1f}"
    )


def test_verdict_quotes_the_table_p_values(sensitivity):
    frame = sensitivity.tables["estimand_results_table"].to_frame()
    verdict = sensitivity.values["verdict"]
    for _, row in frame.iterrows():
        # the cell under "P" is the number of the verdict's "P = 0.013" / "P < 0.001"
        p = f"P {row['P']}" if row["P"].startswith("<") else f"P = {row['P']}"
        assert f"{row['Estimand']}, {row['Time point']}, {p}" in verdict


def test_estimands_chapter_runs_on_a_small_release(tmp_path, execute):
    small = testing.small_release(tmp_path / "small", per_arm=8)
    executed = execute("estimands", {"mi_imputations": 5}, data_dir=small)
    names = {o.metadata["scrapbook"]["name"] for cell in executed.notebook.cells
             for o in cell.get("outputs", []) if "scrapbook" in o.get("metadata", {})}  # fmt: skip
    assert {"estimand_table", "estimand_results_table", "cdai_tipping_fig", "verdict"} <= names


# ---------------------------------------------------------------------------------------------
# The built editions (slow: share the session builds)
# ---------------------------------------------------------------------------------------------


def _page(out: Path, name: str) -> str:
    return (out / "html" / "chapters" / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.build
def test_built_book_has_the_estimands_ledger_and_changes_pages(built_book: Path):
    estimands_page = _page(built_book, "estimands")
    assert "Intercurrent event (withdrawal) and strategy" in estimands_page
    assert "ITT with multiple imputation" in estimands_page
    assert 'alt="Two line charts against the shift' in estimands_page
    ch = Chapter(params=PARAMS, release=load(ROOT / "data"))
    expected = ledger.ledger_result(ch).values["ledger_summary"]
    assert expected in _page(built_book, "ledger")
    assert "What changed" in _page(built_book, "changes")
    for name in ("estimands", "ledger", "changes"):
        assert "Traceback" not in _page(built_book, name)
