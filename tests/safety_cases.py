"""Small hand-made safety frames shared by the tests of ldil2.derive.safety, ldil2.stats.safety,
ldil2.present.safety and ldil2.book.safety (import ``from safety_cases import ...``).

Five participants: S1, S2 Ld-IL2 in the safety population, S3 Ld-IL2 never dosed (not in the
safety population), S4, S5 placebo in the safety population; four adverse events E1-E4."""

from __future__ import annotations

import pandas as pd

from ldil2 import contract as c


def safety_subjects() -> pd.DataFrame:
    """S1-S5: arm, sex and the safety flag (S3 never dosed)."""
    return pd.DataFrame(
        {
            c.SUBJECT_ID: ["S1", "S2", "S3", "S4", "S5"],
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 2,
            c.SEX: ["F", "M", "F", "M", "F"],
            c.SAFETY: pd.array([True, True, False, True, True], dtype="boolean"),
        }
    )


def safety_events() -> pd.DataFrame:
    """E1, E2 (S1, injection site reaction, days 2 and 30, grades 1 and 3, related), E3 (S2,
    pneumonia, day 20, grade 3, serious, led to withdrawal) and E4 (S4, headache, day 60)."""
    rows = [
        # id, subject, term, soc, onset, grade, serious, related, withdrawal
        ("E1", "S1", "Injection site reaction", "General", 2, 1, False, True, False),
        ("E2", "S1", "Injection site reaction", "General", 30, 3, False, True, False),
        ("E3", "S2", "Pneumonia", "Infections", 20, 3, True, False, True),
        ("E4", "S4", "Headache", "Nervous system", 60, 1, False, False, False),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            c.AE_ID,
            c.SUBJECT_ID,
            c.AE_TERM,
            c.AE_SOC,
            c.AE_ONSET_DAY,
            c.AE_GRADE,
            c.AE_SERIOUS,
            c.AE_RELATED,
            c.AE_LED_TO_WITHDRAWAL,
        ],
    )
    return frame.astype(
        {
            c.AE_ONSET_DAY: "Int64",
            c.AE_GRADE: "Int64",
            c.AE_SERIOUS: "boolean",
            c.AE_RELATED: "boolean",
            c.AE_LED_TO_WITHDRAWAL: "boolean",
        }
    )
