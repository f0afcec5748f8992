"""Constants of the data contract (../shared/design/data-contract.md).

Every column name, arm code, file name and week that other modules rely on is named here once,
so that the real trial data can replace the simulated release with no change to code.
"""

from __future__ import annotations

from collections.abc import Mapping

ARM_LDIL2 = "ldil2"
ARM_PLACEBO = "placebo"
ARMS: tuple[str, str] = (ARM_LDIL2, ARM_PLACEBO)
ARM_LABELS: dict[str, str] = {ARM_LDIL2: "Ld-IL2 + MTX", ARM_PLACEBO: "Placebo + MTX"}

BASELINE_WEEK = 0
LAST_WEEK = 24
END_OF_TREATMENT_WEEK = 12

SUBJECTS = "subjects.csv"
ASSESSMENTS = "assessments.csv"
ADVERSE_EVENTS = "adverse_events.csv"
LABS = "labs.csv"
IMMUNOLOGY = "immunology.csv"
EXPOSURE = "exposure.csv"
METADATA = "metadata.yml"
PUBLISHED = "published.csv"
RELEASE_TABLES: tuple[str, ...] = (
    SUBJECTS,
    ASSESSMENTS,
    ADVERSE_EVENTS,
    LABS,
    IMMUNOLOGY,
    EXPOSURE,
)

POPULATIONS: tuple[str, ...] = ("per_protocol", "itt", "safety")
POPULATION_LABELS: dict[str, str] = {
    "per_protocol": "per-protocol population",
    "itt": "intention-to-treat population",
    "safety": "safety population",
}

# assessments.csv: the ACR core-set components and acute-phase reactants
TJC28, SJC28, TJC68, SJC66 = "tjc28", "sjc28", "tjc68", "sjc66"
PTGA, PHGA, PAIN, HAQ = "ptga_mm", "phga_mm", "pain_mm", "haq_di"
ESR, CRP = "esr_mm_h", "crp_mg_l"
HAQ_STEP = 0.125  # HAQ-DI is recorded on a grid of 1/8 points
ASSESSMENT_MEASURES: tuple[str, ...] = (TJC28, SJC28, TJC68, SJC66, PTGA, PHGA, PAIN, HAQ, ESR, CRP)

# labs.csv: haematology, liver enzymes and creatinine
WBC, NEUTROPHILS, LYMPHOCYTES = "wbc_10e9_l", "neutrophils_10e9_l", "lymphocytes_10e9_l"
HEMOGLOBIN, PLATELETS = "hemoglobin_g_l", "platelets_10e9_l"
ALT, AST, CREATININE = "alt_u_l", "ast_u_l", "creatinine_umol_l"
LAB_MEASURES: tuple[str, ...] = (
    WBC,
    NEUTROPHILS,
    LYMPHOCYTES,
    HEMOGLOBIN,
    PLATELETS,
    ALT,
    AST,
    CREATININE,
)

# immunology.csv: T-cell subsets and serum cytokines
CD4, TREG_PCT, TREG_PER_UL, TH17_PCT = "cd4_per_ul", "treg_pct_cd4", "treg_per_ul", "th17_pct_cd4"
TREG_COUNT = TREG_PER_UL  # the same column under its first name; use TREG_PER_UL
IL21, IL6, IL17A = "il21_pg_ml", "il6_pg_ml", "il17a_pg_ml"
IMMUNOLOGY_MEASURES: tuple[str, ...] = (CD4, TREG_PCT, TREG_PER_UL, TH17_PCT, IL21, IL6, IL17A)

# keys shared by every table (added by the library helper)
SUBJECT_ID, ARM, WEEK = "subject_id", "arm", "week"

# adverse_events.csv, exposure.csv, subjects.csv columns used by the safety chapter
# (added by the safety/biomarker helper)
AE_ID, AE_TERM, AE_SOC = "ae_id", "term", "soc"
AE_ONSET_DAY, AE_END_DAY, AE_GRADE = "onset_day", "end_day", "grade"
AE_SERIOUS, AE_RELATED, AE_LED_TO_WITHDRAWAL = "serious", "related", "led_to_withdrawal"
CYCLE, DOSES_PLANNED, DOSES_RECEIVED = "cycle", "doses_planned", "doses_received"
SEX = "sex"
SEXES: tuple[str, str] = ("F", "M")  # values of SEX
SAFETY = "safety"  # population flag: received at least one dose
# Dosing schedule (protocol, NCT02467504): 7 doses of 1 MIU every other day over 2 weeks, then a
# 2-week break; cycles start at weeks 0, 4 and 8.
DOSING_CYCLE_START_WEEKS: tuple[int, ...] = (0, 4, 8)
CYCLES = len(DOSING_CYCLE_START_WEEKS)  # cycles are numbered 1..CYCLES in exposure.csv
DOSES_PER_CYCLE = 7
DOSE_INTERVAL_DAYS = 2
FIRST_DOSE_DAY = 1  # study day of the first dose (adverse_events.csv: onset_day >= 1)
DAYS_PER_WEEK = 7


def dosing_days(doses: Mapping[int, int] | None = None) -> dict[int, list[int]]:
    """Planned injection study days per cycle (1..CYCLES): the one dosing-day convention.

    Parameters
    ----------
    doses : cycle -> number of injections planned; DOSES_PER_CYCLE for a cycle not given

    Returns
    -------
    dict : cycle -> study days of its injections. Study day 1 (FIRST_DOSE_DAY) is the day of the
        first dose, in week 0; cycle k starts on day 1 + 7 * DOSING_CYCLE_START_WEEKS[k - 1] and
        its injections are DOSE_INTERVAL_DAYS apart (protocol: every other day), so study day d
        falls (d - 1) / 7 weeks after the first dose.
    """
    doses = doses or {}
    return {
        cycle: [
            FIRST_DOSE_DAY + DAYS_PER_WEEK * week + DOSE_INTERVAL_DAYS * j
            for j in range(int(doses.get(cycle, DOSES_PER_CYCLE)))
        ]
        for cycle, week in enumerate(DOSING_CYCLE_START_WEEKS, start=1)
    }


# subjects.csv columns used by the derivations and the baseline table (added by the library helper)
AGE, DISEASE_DURATION, MTX_DOSE = "age", "disease_duration_years", "mtx_dose_mg_week"
RF_POSITIVE, ACPA_POSITIVE = "rf_positive", "acpa_positive"
COMPLETED, WITHDRAWAL_WEEK, WITHDRAWAL_REASON = "completed", "withdrawal_week", "withdrawal_reason"
ITT, PER_PROTOCOL = "itt", "per_protocol"
POPULATION_FLAGS: tuple[str, ...] = (ITT, SAFETY, PER_PROTOCOL, COMPLETED)
VISIT_SCHEDULE = "visit_schedule"  # metadata.yml key: the scheduled weeks

# published.csv columns: the published record the ledger reproduces (added by the lower layers)
PUB_KEY, PUB_SOURCE, PUB_STATEMENT = "key", "source", "statement"
PUB_POPULATION, PUB_ENDPOINT, PUB_STATISTIC = "population", "endpoint", "statistic"
PUB_VALUE, PUB_COMPARISON, PUB_TOLERANCE = "value", "comparison", "tolerance"

# metadata.yml keys and provenances (added by the lower layers; VISIT_SCHEDULE is above)
META_TITLE, META_VERSION, META_DATA_CUT = "title", "version", "data_cut"
META_PROVENANCE, META_SEED, META_SCENARIO = "provenance", "seed", "scenario"
META_RELEASED = "released"  # the date the release was issued (ISO), optional (publishing helper)
IMMUNOLOGY_SCHEDULE, LAB_SCHEDULE = "immunology_weeks", "lab_weeks"  # scheduled sampling weeks
SIMULATED, TRIAL = "simulated", "trial"  # values of META_PROVENANCE
META_ASSESSED = "assessed_for_eligibility"  # optional metadata.yml key: people screened (CONSORT)

# the one-row-per-subject frame of the multiple imputation (derive.imputation.mi_frame): the
# baseline value and the outcome (change at the visit; NaN where missing) (added by the
# estimands/ledger helper)
IMPUTATION_BASELINE, IMPUTATION_OUTCOME = "baseline", "outcome"

# the environment variable through which a build lends its executing chapters a folder where
# each model fitted by one chapter is kept for the others (stats.fits.fitted_once; set
# by the pipeline, unset when a chapter runs alone)
FIT_STORE_ENV = "LDIL2_FIT_STORE"
