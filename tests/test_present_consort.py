"""Tests of ldil2.present.consort: the CONSORT diagram read from ARD rows, the schedule figure."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt

from ldil2 import contract as c
from ldil2.present.consort import (
    FLOW_STAGES,
    Flow,
    exclusion_lines,
    plot_consort,
    plot_schedule,
    withdrawal_line,
    withdrawal_lines,
)
from ldil2.results.ard import Ard


def hand_flow() -> tuple[Ard, Flow]:
    """A flow recorded by hand: 10 + 9 randomized, every stage count distinct."""
    ard = Ard("participants", c.ITT)
    numbers = {c.ARM_LDIL2: (10, 9, 2, 8), c.ARM_PLACEBO: (9, 9, 1, 8)}
    stages = {
        stage: {
            arm: (ard.record(stage, stage, "participant_flow", {"n": numbers[arm][i]},
                             group=arm), "n")
            for arm in c.ARMS
        }
        for i, stage in enumerate(FLOW_STAGES)
    }  # fmt: skip
    for k, population in enumerate(c.POPULATIONS):
        stages[f"analysed_{population}"] = {
            arm: (ard.record("participants", "P", "count", {"N": 5 + k}, group=arm,
                             population=population), "N")
            for arm in c.ARMS
        }  # fmt: skip
    reason = ard.record("withdrawal_ae", "Adverse event", "participant_flow", {"n": 2},
                        group=c.ARM_LDIL2)  # fmt: skip
    total = (ard.record("randomized", "All", "participant_flow", {"n": 19}), "n")
    flow = Flow(total, stages, {c.ARM_LDIL2: ((reason, (4, 8)),), c.ARM_PLACEBO: ()})
    return ard, flow


def test_withdrawal_line_reason_count_and_weeks():
    assert withdrawal_line("Adverse event", 2, (4, 8)) == "Adverse event: 2 (week 4, 8)"


def test_withdrawal_lines_read_reason_and_count_from_the_ard():
    ard, flow = hand_flow()
    assert withdrawal_lines(ard, flow, c.ARM_LDIL2) == ["Adverse event: 2 (week 4, 8)"]
    assert withdrawal_lines(ard, flow, c.ARM_PLACEBO) == []


def _texts(fig) -> list[str]:
    """The box texts with line breaks, indents and no-break spaces as single spaces."""
    return [" ".join(t.get_text().split()) for t in fig.axes[0].texts]


def test_plot_consort_draws_the_numbers_of_the_ard_rows():
    ard, flow = hand_flow()
    fig = plot_consort(ard, flow)
    texts = _texts(fig)
    assert "Randomized (n = 19)" in texts
    assert any(t.startswith("Allocated to Ld-IL2 + MTX (n = 10) Received allocated") and
               t.endswith("(n = 9) Did not receive it (n = 1)") for t in texts)  # fmt: skip
    assert any(t.startswith("Discontinued before week 24 (n = 2) Adverse event: 2") for t in texts)
    assert "Completed week 24 (n = 8)" in texts
    analysed = "Analyzed Per-protocol: n = 5 Intention-to-treat:"
    assert any(t.startswith(analysed) for t in texts)
    assert fig.number not in plt.get_fignums()


def test_plot_consort_has_the_consort_stages_and_says_not_reported_without_screening():
    ard, flow = hand_flow()
    texts = _texts(plot_consort(ard, flow))
    for stage in ("Enrolment", "Allocation", "Follow-up", "Analysis"):
        assert stage in texts
    assert "Assessed for eligibility (n = not reported)" in texts
    assert any(t.startswith("Excluded before randomization (n = not reported") for t in texts)


def test_plot_consort_shows_assessed_and_excluded_when_the_release_gives_them():
    ard, flow = hand_flow()
    assessed = (ard.record("assessed_for_eligibility", "Assessed", "participant_flow",
                           {"n": 30}), "n")  # fmt: skip
    texts = _texts(plot_consort(ard, dataclasses.replace(flow, assessed=assessed)))
    assert "Assessed for eligibility (n = 30)" in texts
    # 30 assessed, 19 randomized
    assert any(t.startswith("Excluded before randomization (n = 11;") for t in texts)


def test_exclusion_lines_give_count_and_reason_per_population():
    ard, flow = hand_flow()
    rid = ard.record("excluded_per_protocol", "did not complete week 24", "participant_flow",
                     {"n": 2}, group=c.ARM_LDIL2)  # fmt: skip
    none = ard.record("excluded_itt", "not flagged as randomized", "participant_flow", {"n": 0},
                      group=c.ARM_LDIL2)  # fmt: skip
    flow = dataclasses.replace(
        flow,
        excluded={c.PER_PROTOCOL: {c.ARM_LDIL2: (rid, "n")}, c.ITT: {c.ARM_LDIL2: (none, "n")}},
    )
    assert exclusion_lines(ard, flow, c.ARM_LDIL2) == [
        "Per-protocol: 2 (did not complete week 24)",
        "Intention-to-treat: 0",
    ]


def test_plot_schedule_one_span_per_cycle_and_a_tick_per_visit():
    days = c.dosing_days()
    fig = plot_schedule(days, [0, 2, 12, 24])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["Cycle 1", "Cycle 2", "Cycle 3"]
    assert ax.get_xticks().tolist() == [0, 2, 12, 24]
    # cycle 2 starts on study day 29 = week 4 after the first dose
    assert ax.patches[1].get_x() == 4
    assert fig.number not in plt.get_fignums()
