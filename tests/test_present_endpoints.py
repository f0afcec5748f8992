"""Tests of ldil2.present.endpoints and ldil2.present.labels: every table cell and glue text of
the efficacy endpoints is read from ARD rows (small hand-made results; expected values worked
by hand or by an independent library)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from efficacy_cases import across_odds_ratio
from scipy import stats as sps

from ldil2 import contract as c
from ldil2.present import endpoints as pe
from ldil2.present.labels import CHANGE_UNITS, ENDPOINT_LABELS, INDEX_LABELS, endpoint_label
from ldil2.results.ard import Ard
from ldil2.results.efficacy import record_gee, record_means, record_mixed
from ldil2.stats.longitudinal import Effect, LongitudinalResult
from ldil2.stats.proportions import response_by_arm


def make_analysis(week: int, values: dict[str, list[bool | None]]) -> pd.DataFrame:
    """Analysis rows at `week` for `acr20` per arm (None = missing response), one subject each,
    every population flag true."""
    rows = []
    for arm, responses in values.items():
        for i, value in enumerate(responses):
            rows.append({c.SUBJECT_ID: f"{arm}{i}", c.ARM: arm, c.WEEK: week, "acr20": value})
    table = pd.DataFrame(rows)
    table["acr20"] = table["acr20"].astype("boolean")
    for flag in c.POPULATION_FLAGS:
        table[flag] = pd.array([True] * len(table), dtype="boolean")
    return table


def recorded(table: pd.DataFrame, week: int, population: str = c.PER_PROTOCOL, **kw):
    """(ard, ids, participants ids) of the ACR20 comparison at `week` of `table`."""
    ard = Ard("test", population)
    comparison = response_by_arm(table, "acr20", week, population, **kw)
    ids = ard.binary_comparison(comparison, "ACR20")
    participants = {
        arm: ard.record("participants", "Participants", "count", {"N": n}, group=arm)
        for arm, n in comparison.n_population.items()
    }
    return ard, ids, participants


def changed(ard: Ard, rid: str, stat: str, value: float) -> Ard:
    """A copy of `ard` in which one statistic holds another value."""
    copy = Ard(ard.chapter, ard.population)
    for row in ard.rows():
        copy.add(dataclasses.replace(row, value=value) if row.key == (rid, stat) else row)
    return copy


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------


def test_endpoint_labels_as_the_efficacy_pages_print_them():
    # the labels of the pre-refactor tables (releases/2026.11.1.json), one per endpoint
    assert ENDPOINT_LABELS["acr20"] == "ACR20"
    assert ENDPOINT_LABELS["das28_esr_remission"] == "DAS28-ESR < 2.6"
    assert ENDPOINT_LABELS["cdai_remission"] == "CDAI remission (<= 2.8)"
    assert ENDPOINT_LABELS["sdai_lda"] == "SDAI low activity or remission (<= 11)"
    assert ENDPOINT_LABELS["boolean_remission_2022"] == "Boolean remission 2022"
    assert ENDPOINT_LABELS["haq_mcid"] == "HAQ-DI improvement >= 0.22"
    assert ENDPOINT_LABELS["chg_cdai"] == "Change from baseline in CDAI"
    assert endpoint_label("unknown_col") == "UNKNOWN_COL"


def test_change_units_cover_every_index_with_a_label():
    assert set(CHANGE_UNITS) == set(INDEX_LABELS)
    assert CHANGE_UNITS["cdai"] == ("index points", 1)


# ---------------------------------------------------------------------------------------------
# Glue texts
# ---------------------------------------------------------------------------------------------


def test_comparison_values_formats_counts_difference_and_p():
    # ldil2 3/4 responders, placebo 1/4: 75.0% vs 25.0%, difference 50.0 points
    table = make_analysis(24, {c.ARM_LDIL2: [True, True, True, False],
                               c.ARM_PLACEBO: [True, False, False, False, None]})  # fmt: skip
    ard, ids, _ = recorded(table, 24)
    values = pe.comparison_values(ard, ids, "acr20_w24")
    assert values["acr20_w24_ldil2_pct"] == "75.0%"
    assert values["acr20_w24_ldil2_nN"] == "3/4 (75.0%)"
    # the missing response is left out of the placebo denominator (observed cases)
    assert values["acr20_w24_placebo_nN"] == "1/4 (25.0%)"
    assert values["acr20_w24_diff"].startswith("50.0 percentage points (95% CI ")
    # scipy: fisher_exact([[3, 1], [1, 3]]) two-sided p = 0.486
    assert values["acr20_w24_fisher"] == "P = 0.486"
    assert all(type(v) is str for v in values.values())


def test_comparison_values_are_read_from_the_ard_rows():
    table = make_analysis(24, {c.ARM_LDIL2: [True, True, False], c.ARM_PLACEBO: [False, True]})
    ard, ids, _ = recorded(table, 24)
    other = changed(ard, ids["fisher"], "p", 0.0123)
    assert pe.comparison_values(other, ids, "x")["x_fisher"] == "P = 0.012"
    other = changed(ard, ids[c.ARM_LDIL2], "percent", 12.34)
    assert pe.comparison_values(other, ids, "x")["x_ldil2_pct"] == "12.3%"


def _mean_row(mean: float, low: float, high: float, n: int) -> tuple[Ard, str]:
    ard = Ard("test")
    stats = {"n": n, "mean": mean, "lcl": low, "ucl": high}
    rid = ard.record("chg_cdai", "Change", "mean_t", stats, week=24, group=c.ARM_LDIL2)
    return ard, rid


def test_mean_text():
    assert pe.mean_text(*_mean_row(-16.2, -21.5, -10.9, 17)) == (
        "-16.2 (95% CI -21.5 to -10.9; n = 17)"
    )
    assert pe.mean_text(*_mean_row(2.0, np.nan, np.nan, 1)) == "2.0 (n = 1)"


def test_mean_cell_for_tables():
    assert pe.mean_cell(*_mean_row(-0.584, -0.961, -0.2, 17), 2) == "-0.58 (-0.96 to -0.20), n = 17"
    assert pe.mean_cell(*_mean_row(1.0, np.nan, np.nan, 1)) == "1.0, n = 1"


# ---------------------------------------------------------------------------------------------
# Endpoint table
# ---------------------------------------------------------------------------------------------


def test_endpoint_table_caption_cells_and_footnote():
    table = make_analysis(12, {c.ARM_LDIL2: [True, True], c.ARM_PLACEBO: [False, True]})
    ard, ids, participants = recorded(table, 12)
    out = pe.endpoint_table(ard, [ids], "ACR20", participants, ("Method.", "", "Source."))
    assert out.caption == (
        "ACR20 at week 12, per-protocol population (Ld-IL2 + MTX n = 2; Placebo + MTX n = 2)"
    )
    row = out.to_frame().iloc[0]
    assert row["Ld-IL2 + MTX, n/N (%)"] == "2/2 (100.0%)"
    # 2/2 - 1/2 = 50.0 points
    assert row[pe.ENDPOINT_HEADERS["difference"]].startswith("50.0 (")
    # scipy: fisher_exact([[2, 0], [1, 1]]) two-sided
    p = sps.fisher_exact([[2, 0], [1, 1]]).pvalue
    assert row[pe.ENDPOINT_HEADERS["fisher"]] == f"{p:.3f}"  # the header says "P"
    assert out.footnote == ("Method.", "Source.")  # empty parts dropped
    with pytest.raises(ValueError, match="comparisons"):
        pe.endpoint_table(ard, [], "ACR20", participants, ())


def test_endpoint_table_adds_odds_ratio_before_p():
    table = make_analysis(24, {c.ARM_LDIL2: [True, True, True, False],
                               c.ARM_PLACEBO: [True, False, False, False]})  # fmt: skip
    ard, ids, participants = recorded(table, 24)
    frame = pe.endpoint_table(ard, [ids], "ACR20", participants, ()).to_frame()
    assert list(frame.columns[-2:]) == ["Odds ratio (95% CI, Woolf)", "P (Fisher's exact)"]
    # Woolf: OR = (3*3)/(1*1) = 9; SE(ln OR) = sqrt(1/3 + 1 + 1 + 1/3) = 1.633;
    # CI = exp(ln 9 -/+ 1.96*1.633) = 0.37 to 220.93
    assert frame["Odds ratio (95% CI, Woolf)"].iloc[0] == "9.00 (0.37 to 220.93)"


def test_endpoint_table_headers_name_their_methods():
    headers = " ".join(pe.ENDPOINT_HEADERS.values())
    assert "Newcombe" in headers and "Woolf" in headers and "Fisher" in headers
    gee = " ".join(pe.GEE_HEADERS.values())
    assert "GEE delta method" in gee and "Mancl-DeRouen" in gee
    assert "Satterthwaite" in " ".join(pe.CHANGE_HEADERS.values())
    assert "mixed model" in " ".join(pe.CHANGE_HEADERS.values())
    # no header is shared by two analyses
    every = [*pe.ENDPOINT_HEADERS.values(), *pe.GEE_HEADERS.values(), *pe.CHANGE_HEADERS.values()]
    assert len(every) == len(set(every))


def test_endpoint_table_cells_are_the_ard_rows():
    table = make_analysis(24, {c.ARM_LDIL2: [True, True, True, False, True],
                               c.ARM_PLACEBO: [True, False, False, False]})  # fmt: skip
    ard, ids, participants = recorded(table, 24)
    row = pe.endpoint_table(ard, [ids], "ACR20", participants, ()).to_frame().iloc[0]
    d = ard.result(ids["difference"])
    assert row[pe.ENDPOINT_HEADERS["difference"]] == (
        f"{d['estimate']:.1f} ({d['lcl']:.1f} to {d['ucl']:.1f})"
    )
    n, total = (int(ard.get(ids[c.ARM_PLACEBO], s)) for s in ("n", "N"))
    assert row["Placebo + MTX, n/N (%)"] == f"{n}/{total} ({100 * n / total:.1f}%)"
    # change one row: the cell changes, nothing is read from the stats result
    other = changed(ard, ids["difference"], "ucl", 99.94)
    row = pe.endpoint_table(other, [ids], "ACR20", participants, ()).to_frame().iloc[0]
    assert row[pe.ENDPOINT_HEADERS["difference"]].endswith("to 99.9)")
    other = changed(ard, participants[c.ARM_LDIL2], "N", 41)
    caption = pe.endpoint_table(other, [ids], "ACR20", participants, ()).caption
    assert "Ld-IL2 + MTX n = 41" in caption


def test_endpoint_table_of_several_endpoints_shows_their_ard_labels():
    table = make_analysis(24, {c.ARM_LDIL2: [True, False], c.ARM_PLACEBO: [False, True]})
    ard, ids, participants = recorded(table, 24)
    comparison = response_by_arm(table.assign(acr50=table["acr20"]), "acr50", 24)
    other = ard.binary_comparison(comparison, "ACR50 label")
    frame = pe.endpoint_table(ard, [ids, other], "ACR", participants, ()).to_frame()
    assert frame["Endpoint"].tolist() == ["ACR20", "ACR50 label"]
    assert frame.columns[0] == "Endpoint"


def test_across_note_states_the_model_from_its_rows():
    across = across_odds_ratio()
    ard = Ard("test", c.ITT)
    ids = record_gee(ard, "acr20", "ACR20", across)
    assert pe.across_note(ard, ids.across) == (
        "Across visits: odds ratio 2.50 (95% CI 1.10 to 5.70), P = 0.014. Logistic GEE."
    )
    assert pe.model_participants_text(ard, ids.participants) == (
        "Participants in the model: Ld-IL2 + MTX n = 2, Placebo + MTX n = 2."
    )


# ---------------------------------------------------------------------------------------------
# GEE and change tables
# ---------------------------------------------------------------------------------------------


def gee_result() -> LongitudinalResult:
    per_visit = pd.DataFrame(
        {
            c.WEEK: [4, 12],
            "estimate": [np.nan, 2.0],
            "ci_low": [np.nan, 1.0],
            "ci_high": [np.nan, 4.0],
            "p_value": [np.nan, 0.05],
            "risk_difference": [np.nan, 0.2],
            "rd_ci_low": [np.nan, 0.1],
            "rd_ci_high": [np.nan, 0.3],
            "estimable": [False, True],
        }
    )
    return LongitudinalResult(
        estimate=2.0, ci_low=1.0, ci_high=4.0, p_value=0.05, measure="odds ratio",
        per_visit=per_visit, n_subjects={c.ARM_LDIL2: 2, c.ARM_PLACEBO: 2},
        n_observations=8, weeks=(4, 12), description="Logistic GEE.",
    )  # fmt: skip


def test_gee_table_prints_not_estimable_instead_of_nan():
    ard = Ard("test")
    ids = record_gee(ard, "acr20", "ACR20", gee_result())
    table = pe.gee_table(ard, ids, "ACR20 title", ("Logistic GEE.", "Source."))
    frame = table.to_frame().set_index("Week")
    assert frame.loc["4"].tolist() == ["not estimable"] * 3
    assert "nan" not in " ".join(frame.to_numpy().ravel())
    # week 12 estimable: OR 2.00 (1.00 to 4.00), RD 20.0 (10.0 to 30.0) points, P = 0.050
    assert frame.loc["12"].tolist() == ["2.00 (1.00 to 4.00)", "20.0 (10.0 to 30.0)", "0.050"]
    assert frame.loc["Across visits"].tolist() == ["2.00 (1.00 to 4.00)", "", "0.050"]
    assert list(frame.columns) == list(pe.GEE_HEADERS.values())
    # the participants of the model follow the model's description
    assert table.footnote == (
        "Logistic GEE.",
        "Participants in the model: Ld-IL2 + MTX n = 2, Placebo + MTX n = 2.",
        "Source.",
    )


def test_gee_table_cells_are_the_ard_rows():
    ard = Ard("test")
    ids = record_gee(ard, "acr20", "ACR20", gee_result())
    other = changed(ard, ids.risk_differences[12], "estimate", 25.0)
    other = changed(other, ids.visits[12], "p", 0.2)
    frame = pe.gee_table(other, ids, "t", ()).to_frame().set_index("Week")
    assert frame.loc["12"].tolist() == ["2.00 (1.00 to 4.00)", "25.0 (10.0 to 30.0)", "0.200"]


def mixed_result() -> LongitudinalResult:
    per_visit = pd.DataFrame(
        {c.WEEK: [12, 24], "estimate": [-4.44, -2.0], "ci_low": [-8.0, -5.0],
         "ci_high": [-1.0, 1.0], "p_value": [0.01, 0.2], "df": [30.5, 31.0]}
    )  # fmt: skip
    wald = Effect(-3.2, -5.9, -0.5, 0.02, np.inf, "Wald z.")
    return LongitudinalResult(
        estimate=-3.2, ci_low=-6.0, ci_high=-0.4, p_value=0.025, measure="difference",
        per_visit=per_visit, n_subjects={c.ARM_LDIL2: 3, c.ARM_PLACEBO: 2},
        n_observations=10, weeks=(12, 24), description="Mixed model.", df=28.0, wald=wald,
    )  # fmt: skip


def test_change_table_means_next_to_the_model():
    ard = Ard("test")
    model = record_mixed(ard, "chg_cdai", "Change in CDAI", mixed_result(), "index points")
    means = pd.DataFrame(
        {c.ARM: [c.ARM_LDIL2, c.ARM_PLACEBO, c.ARM_LDIL2], c.WEEK: [12, 12, 24],
         "n": [3, 1, 3], "mean": [-10.0, -5.0, -8.25], "ci_low": [-12.0, np.nan, -9.0],
         "ci_high": [-8.0, np.nan, -7.5]}
    )  # fmt: skip
    means_ids = record_means(ard, "chg_cdai", "Change in CDAI", means, "index points")
    table = pe.change_table(ard, means_ids, model, 1, "Title", ("Means.", "Mixed model."))
    frame = table.to_frame().set_index("Week")
    assert frame.loc["12"].tolist() == [
        "-10.0 (-12.0 to -8.0), n = 3", "-5.0, n = 1", "-4.4 (-8.0 to -1.0)", "0.010",
    ]  # fmt: skip
    assert frame.loc["24"].tolist() == ["-8.2 (-9.0 to -7.5), n = 3", "-", "-2.0 (-5.0 to 1.0)",
                                        "0.200"]  # fmt: skip
    assert frame.loc["Across visits"].tolist() == ["", "", "-3.2 (-6.0 to -0.4)", "0.025"]
    # the large-sample Wald result stays beside it, labelled as sensitivity analysis
    assert frame.loc[pe.SENSITIVITY].tolist() == ["", "", "-3.2 (-5.9 to -0.5)", "0.020"]
    assert list(frame.columns[-2:]) == list(pe.CHANGE_HEADERS.values())
    assert ard.get("chg_cdai.all.pp.difference.mixed_model", "df") == 28.0
    assert ard.get("chg_cdai.w24.pp.difference.mixed_model", "df") == 31.0
    assert ard.get("chg_cdai.all.pp.difference.mixed_model_wald", "p") == 0.02
    other = changed(ard, means_ids[(c.ARM_LDIL2, 24)], "mean", -1.0)
    frame = pe.change_table(other, means_ids, model, 1, "T", ()).to_frame().set_index("Week")
    assert frame.loc["24"].iloc[0] == "-1.0 (-9.0 to -7.5), n = 3"


def test_eular_table_frame_counts_from_the_rows():
    ard = Ard("test")
    ids = {
        (arm, 12, level): ard.record(f"eular_{level}", level, "count",
                                     {"n": n, "N": total, "percent": 100 * n / total},
                                     week=12, group=arm)  # fmt: skip
        for arm, level, n, total in [
            (c.ARM_LDIL2, "good", 1, 2), (c.ARM_LDIL2, "moderate", 1, 2),
            (c.ARM_LDIL2, "none", 0, 2), (c.ARM_PLACEBO, "none", 1, 1),
        ]
    }  # fmt: skip
    frame = pe.eular_table_frame(ard, ids, ("good", "moderate", "none"))
    good = frame[frame["EULAR response"] == "Good"].iloc[0]
    assert good["Ld-IL2 + MTX, n/N (%)"] == "1/2 (50.0%)"
    assert good["Placebo + MTX, n/N (%)"] == "-"  # no row: the arm has no such count
    assert frame["Week"].tolist() == ["12"] * 3
