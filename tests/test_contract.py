"""Tests of the functions in ldil2.contract (the constants are checked where they are used)."""

from ldil2 import contract as c


def test_dosing_days_day_one_is_the_first_dose():
    days = c.dosing_days()
    assert c.FIRST_DOSE_DAY == 1
    # protocol: 7 doses every other day from day 1; cycles start at weeks 0, 4, 8
    # (days 1, 1 + 28 = 29, 1 + 56 = 57)
    assert days == {
        1: [1, 3, 5, 7, 9, 11, 13],
        2: [29, 31, 33, 35, 37, 39, 41],
        3: [57, 59, 61, 63, 65, 67, 69],
    }
    assert len(days) == c.CYCLES


def test_dosing_days_takes_planned_doses_per_cycle():
    days = c.dosing_days({2: 5})
    assert days[2] == [29, 31, 33, 35, 37]
    assert len(days[1]) == len(days[3]) == c.DOSES_PER_CYCLE
