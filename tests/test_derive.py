"""Tests of the ldil2.derive chain on small hand-made frames, plus one integration test on the
shipped data/ when present."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ldil2 import contract as c
from ldil2.data import release as data
from ldil2.derive import analysis as derive
from ldil2.derive import indices
from ldil2.derive.populations import impute_nri, select_population
from ldil2.derive.response import eular_response

DATA = Path(__file__).resolve().parents[1] / "data"


def _subjects():
    rows = [
        ("S1", c.ARM_LDIL2, True, pd.NA),
        ("S2", c.ARM_PLACEBO, True, pd.NA),
        ("S3", c.ARM_LDIL2, False, 4),  # withdrew after week 4
    ]
    frame = pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.ARM, c.COMPLETED, c.WITHDRAWAL_WEEK])
    return frame.assign(**{c.ITT: True, c.SAFETY: True, c.PER_PROTOCOL: frame[c.COMPLETED]}).astype(
        {c.WITHDRAWAL_WEEK: "Int64", c.COMPLETED: "boolean", c.PER_PROTOCOL: "boolean"}
    )


BASE = {
    c.TJC28: 10, c.SJC28: 8, c.TJC68: 20, c.SJC66: 10, c.PTGA: 60.0, c.PHGA: 50.0,
    c.PAIN: 55.0, c.HAQ: 1.5, c.ESR: 30.0, c.CRP: 20.0,
}  # fmt: skip
# 50% better on every measure (HAQ 1.5 -> 0.75: a decrease of 0.75)
HALF = {k: v / 2 for k, v in BASE.items()} | {c.TJC28: 5, c.SJC28: 4, c.TJC68: 10, c.SJC66: 5}
# 10% better joint counts only: no ACR20; HAQ 1.5 -> 1.375 (decrease 0.125 < 0.22)
SLIGHT = BASE | {c.TJC68: 18, c.SJC66: 9, c.HAQ: 1.375}


def _assessments():
    rows = [
        {c.SUBJECT_ID: "S1", c.WEEK: 0} | BASE,
        {c.SUBJECT_ID: "S1", c.WEEK: 12} | HALF,
        {c.SUBJECT_ID: "S2", c.WEEK: 0} | BASE,
        {c.SUBJECT_ID: "S2", c.WEEK: 12} | SLIGHT,
        {c.SUBJECT_ID: "S3", c.WEEK: 0} | BASE | {c.CRP: np.nan},
        {c.SUBJECT_ID: "S3", c.WEEK: 4} | HALF,
    ]
    counts = {col: "Int64" for col in (c.TJC28, c.SJC28, c.TJC68, c.SJC66)}
    return pd.DataFrame(rows).astype({c.WEEK: "Int64"} | counts)


def _release(metadata=None):
    return SimpleNamespace(
        subjects=_subjects(), assessments=_assessments(), metadata=metadata or {}
    )


@pytest.fixture(scope="module")
def table():
    return derive.make_analysis_table(_release())


def _row(table, subject, week):
    return table[(table[c.SUBJECT_ID] == subject) & (table[c.WEEK] == week)].iloc[0]


def test_derive_visits_adds_arm_and_flags_sorted():
    visits = derive.derive_visits(_subjects(), _assessments().iloc[::-1])
    assert list(visits[c.SUBJECT_ID]) == ["S1", "S1", "S2", "S2", "S3", "S3"]
    assert list(visits[c.WEEK]) == [0, 12, 0, 12, 0, 4]
    assert visits.loc[4, c.ARM] == c.ARM_LDIL2
    assert not visits.loc[4, c.PER_PROTOCOL]


def test_derive_visits_rejects_unknown_subject():
    assessments = _assessments()
    assessments.loc[0, c.SUBJECT_ID] = "X9"
    with pytest.raises(ValueError, match="X9"):
        derive.derive_visits(_subjects(), assessments)


def test_derive_indices_uses_the_index_functions():
    visits = derive.derive_indices(derive.derive_visits(_subjects(), _assessments()))
    # week 0: CDAI = 10 + 8 + 6 + 5 = 29; SDAI = 29 + 2 = 31
    assert visits.loc[0, "cdai"] == pytest.approx(29.0)
    assert visits.loc[0, "sdai"] == pytest.approx(31.0)
    assert visits.loc[0, "das28_esr"] == pytest.approx(indices.das28_esr(10, 8, 30.0, 60.0))
    assert np.isnan(visits.loc[4, "sdai"])  # S3 baseline CRP missing


def test_derive_categories_states_and_flags(table):
    # CDAI 29 -> high; S1 week 12: 5 + 4 + 3 + 2.5 = 14.5 -> moderate
    assert _row(table, "S1", 0)["cdai_category"] == "high"
    assert _row(table, "S1", 12)["cdai_category"] == "moderate"
    assert not _row(table, "S1", 12)["cdai_remission"]
    assert pd.isna(_row(table, "S3", 0)["sdai_remission"])


def test_derive_baseline_and_change(table):
    s1 = _row(table, "S1", 12)
    assert s1["base_cdai"] == pytest.approx(29.0)
    assert s1["chg_cdai"] == pytest.approx(14.5 - 29.0)
    assert s1["chg_tjc28"] == pytest.approx(-5.0)
    assert _row(table, "S1", 0)["chg_cdai"] == 0.0
    assert np.isnan(_row(table, "S3", 4)["chg_sdai"])  # no baseline SDAI
    assert table["chg_tjc28"].dtype == "float64"


def test_derive_acr_levels_and_baseline_missing(table):
    s1, s2 = _row(table, "S1", 12), _row(table, "S2", 12)
    assert s1["acr20"] and s1["acr50"] and not s1["acr70"]
    assert not s2["acr20"]
    assert table.loc[table[c.WEEK] == 0, "acr20"].isna().all()
    assert table["acr20"].dtype == "boolean"


def test_derive_acr_joint_set_parameter():
    # S2 with 28-joint counts unchanged vs 68/66 counts 10% better: no ACR20 either way;
    # S1 with 28-joint counts halved: ACR50 either way
    table28 = derive.make_analysis_table(_release(), joints="28")
    assert _row(table28, "S1", 12)["acr50"]
    assert not _row(table28, "S2", 12)["acr20"]


def test_derive_eular_missing_at_baseline(table):
    assert pd.isna(_row(table, "S1", 0)[derive.EULAR])
    base, now = _row(table, "S1", 12)["base_das28_esr"], _row(table, "S1", 12)["das28_esr"]
    assert _row(table, "S1", 12)[derive.EULAR] == eular_response(base, now)


def test_derive_boolean_remission_columns(table):
    assert not _row(table, "S1", 12)["boolean_remission_2011"]
    assert table["boolean_remission_2022"].dtype == "boolean"


def test_derive_haq_mcid_threshold(table):
    # S1: 1.5 -> 0.75 (decrease 0.75 >= 0.22); S2: 1.5 -> 1.375 (decrease 0.125 < 0.22)
    assert _row(table, "S1", 12)[derive.HAQ_MCID_COLUMN]
    assert not _row(table, "S2", 12)[derive.HAQ_MCID_COLUMN]
    assert pd.isna(_row(table, "S1", 0)[derive.HAQ_MCID_COLUMN])


def test_derive_eular_flags_keeps_missing_missing():
    eular = pd.Categorical(
        ["good", "moderate", "none", None], categories=["none", "moderate", "good"]
    )
    table = pd.DataFrame({"eular": eular})
    flagged = derive.derive_eular_flags(table)
    assert flagged["eular_good"].tolist()[:3] == [True, False, False]
    assert flagged["eular_any"].tolist()[:3] == [True, True, False]
    assert flagged["eular_good"].isna().tolist() == [False, False, False, True]
    assert flagged["eular_any"].isna().tolist() == [False, False, False, True]


def test_make_analysis_table_has_eular_flags(table):
    # in the chain: each flag follows the row's EULAR category, missing at baseline
    for _, row in table.iterrows():
        if pd.isna(row[derive.EULAR]):
            assert pd.isna(row[derive.EULAR_GOOD]) and pd.isna(row[derive.EULAR_ANY])
        else:
            assert row[derive.EULAR_GOOD] == (row[derive.EULAR] == "good")
            assert row[derive.EULAR_ANY] == (row[derive.EULAR] in ("good", "moderate"))
    assert pd.isna(_row(table, "S1", 0)[derive.EULAR_GOOD])


def test_make_analysis_table_one_row_per_visit(table):
    assert len(table) == 6
    expected = {"das28_esr", "das28_crp", "cdai", "sdai", "chg_sdai", "acr70", "eular"}
    assert expected <= set(table.columns)
    assert set(c.POPULATION_FLAGS) <= set(table.columns)


def test_select_population(table):
    assert set(select_population(table, "per_protocol")[c.SUBJECT_ID]) == {"S1", "S2"}
    assert len(select_population(table, "itt")) == 6
    with pytest.raises(ValueError, match="population"):
        select_population(table, "completers")


def test_impute_nri_uses_metadata_schedule(table):
    release = _release({c.VISIT_SCHEDULE: [0, 4, 12]})
    imputed = impute_nri(table, "acr20", release=release)
    assert len(imputed) == 3 * 2  # 3 subjects x weeks 4 and 12
    s3 = imputed[imputed[c.SUBJECT_ID] == "S3"].set_index(c.WEEK)["acr20"]
    assert s3[4]  # observed responder at week 4 (50% better)
    assert not s3[12]  # withdrawn -> non-responder
    assert not imputed.set_index([c.SUBJECT_ID, c.WEEK]).loc[("S1", 4), "acr20"]  # not attended
    assert imputed["acr20"].notna().all()


def test_impute_nri_falls_back_to_observed_weeks(table):
    imputed = impute_nri(table, "acr20")
    assert sorted(imputed[c.WEEK].unique()) == [4, 12]


@pytest.mark.skipif(not (DATA / c.SUBJECTS).is_file(), reason="no shipped data/")
def test_make_analysis_table_on_shipped_data():
    release = data.load(DATA, tables=[c.SUBJECTS, c.ASSESSMENTS])
    table = derive.make_analysis_table(release)
    assert len(table) == len(release.assessments)
    assert table[c.ARM].notna().all()
    at_baseline = table[c.WEEK] == c.BASELINE_WEEK
    assert (table.loc[at_baseline, "chg_cdai"].dropna() == 0).all()
    assert table.loc[~at_baseline, "acr20"].notna().any()
