"""The CONSORT flow diagram (the CONSORT 2025 template's stages) and the dosing-and-visit
timeline.

The diagram's numbers are ARD rows (the participant flow recorded by
:mod:`ldil2.book.participants`), read through a :class:`Flow` of their result_ids.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ldil2 import contract as c
from ldil2.present import theme
from ldil2.results.ard import Ard

RANDOMIZED, TREATED, WITHDRAWN, COMPLETED = "randomized", "treated", "withdrawn", "completed"
FLOW_STAGES: tuple[str, ...] = (RANDOMIZED, TREATED, WITHDRAWN, COMPLETED)
"""Stages of the participant flow before the analysis populations (``analysed_<population>``)."""

Count = tuple[str, str]
"""(result_id, stat) of one count of the ARD."""


NOT_REPORTED = "not reported"
"""What the diagram says of a count the release does not hold (e.g. assessed for eligibility)."""


@dataclass(frozen=True)
class Flow:
    """Where the participant flow sits in an ARD.

    Attributes
    ----------
    total : the randomized participants of both arms
    stages : stage (:data:`FLOW_STAGES`, then ``analysed_<population>`` for every population)
        -> arm -> count
    reasons : arm -> (result_id of the withdrawals with one recorded reason (stat ``n``, the
        reason is the row's endpoint_label), their withdrawal weeks), most frequent first
    excluded : population -> arm -> the randomized participants not in the population's
        analysis (the row's endpoint_label gives the reason)
    assessed : the participants assessed for eligibility, when the release holds the number
        (metadata); None: "not reported"
    """

    total: Count
    stages: Mapping[str, Mapping[str, Count]]
    reasons: Mapping[str, Sequence[tuple[str, tuple[int, ...]]]]
    excluded: Mapping[str, Mapping[str, Count]] = field(default_factory=dict)
    assessed: Count | None = None

    def count(self, ard: Ard, stage: str, arm: str | None = None) -> int:
        """The number of participants at `stage` in `arm` (both arms: `arm` None, only for
        ``randomized``)."""
        rid, stat = self.total if arm is None else self.stages[stage][arm]
        return int(ard.get(rid, stat))


def withdrawal_line(reason: str, count: int, weeks: Sequence[int]) -> str:
    """'Adverse event: 2 (week 4, 8)': a withdrawal reason, its count and the weeks."""
    return f"{reason}: {count} (week {', '.join(str(w) for w in weeks)})"


def withdrawal_lines(ard: Ard, flow: Flow, arm: str) -> list[str]:
    """One :func:`withdrawal_line` per recorded reason of `arm`, from the ARD rows."""
    return [
        withdrawal_line(ard.row(rid, "n").endpoint_label, int(ard.get(rid, "n")), weeks)
        for rid, weeks in flow.reasons[arm]
    ]


def enrolment_lines(ard: Ard, flow: Flow) -> tuple[list[str], list[str]]:
    """The enrolment boxes: 'Assessed for eligibility (n = 60)' and 'Excluded (n = 13)', or
    'n = not reported' for both when the release does not hold the number assessed."""
    if flow.assessed is None:
        assessed = excluded = NOT_REPORTED
    else:
        number = int(ard.get(*flow.assessed))
        assessed, excluded = str(number), str(number - flow.count(ard, RANDOMIZED))
    return (
        ["Assessed for eligibility", f"(n = {assessed})"],
        ["Excluded before randomization", f"(n = {excluded}; reasons {NOT_REPORTED})"],
    )


def exclusion_lines(ard: Ard, flow: Flow, arm: str) -> list[str]:
    """'Per-protocol: 6 (did not complete week 24)' per population of `flow.excluded`."""
    lines = []
    for population, counts in flow.excluded.items():
        rid, stat = counts[arm]
        reason = ard.row(rid, stat).endpoint_label
        label = c.POPULATION_LABELS[population].removesuffix(" population").capitalize()
        count = int(ard.get(rid, stat))
        lines.append(f"{label}: {count} ({reason})" if count else f"{label}: 0")
    return lines


def _mpl_text(text: str) -> str:
    """Data text made safe for matplotlib: a '$' would otherwise start mathtext."""
    return text.replace("$", r"\$")


def _wrapped(lines: Sequence[str], width: int = 30) -> str:
    """Lines wrapped at `width` characters (continuations indented), joined by newlines."""
    out = []
    for line in lines:  # "n = 23" stays on one line (no-break spaces)
        line = line.replace("n = ", "n\u00a0=\u00a0")
        out += textwrap.wrap(line, width, subsequent_indent="  ") or [""]
    return "\n".join(_mpl_text(line) for line in out)


STAGE_LABELS: tuple[tuple[str, float], ...] = (
    ("Enrolment", 0.885), ("Allocation", 0.68), ("Follow-up", 0.445), ("Analysis", 0.155),
)  # fmt: skip
"""The CONSORT stages and the height of their labels in the left margin (axes fraction)."""
FONT_SIZE = 11
"""Box text size in points; the figure is drawn 8 inches wide (about the book's content
width), so the text stays above 9 pt as shown."""
WRAP = 22
"""Characters per line of a box."""
ARM_COLUMNS: tuple[tuple[float, float], ...] = ((0.2, 0.43), (0.655, 0.885))
"""(main box, side box) centres of each arm's column (axes fraction), Ld-IL2 first."""


def plot_consort(ard: Ard, flow: Flow) -> Figure:
    """CONSORT 2025 flow diagram: the stages of the template (Enrolment, Allocation,
    Follow-up, Analysis), one column per arm, losses and exclusions in side boxes with reasons.

    Enrolment: assessed for eligibility and excluded before randomization ("not reported" when
    the release does not hold the number), randomized. Allocation: allocated, received the
    allocated intervention (at least one dose). Follow-up: side box of those who discontinued
    before week 24 with each reason, count and weeks; completed week 24. Analysis: analyzed in
    each population; side box of those excluded from each analysis with the reason. Every
    number is an ARD row of `flow`.
    """
    fig, ax = plt.subplots(figsize=(8.0, 11.0))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    style = {"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.25"}

    def draw(x: float, y: float, lines: Sequence[str], **kw: Any) -> Any:
        return ax.text(x, y, _wrapped(lines, WRAP), ha="center", va="center",
                       fontsize=FONT_SIZE, bbox={**style, **kw}, linespacing=1.2)  # fmt: skip

    for label, y in STAGE_LABELS:
        ax.text(0.015, y, label, ha="center", va="center", rotation=90, fontsize=FONT_SIZE + 1,
                fontweight="bold", bbox={"boxstyle": "round,pad=0.4", "facecolor": "#dbe7f3",
                                         "edgecolor": "none"})  # fmt: skip
    assessed_lines, excluded_lines = enrolment_lines(ard, flow)
    assessed = draw(0.43, 0.955, assessed_lines)
    excluded = draw(0.75, 0.895, excluded_lines, facecolor="#f7f7f7")
    randomized = draw(0.43, 0.83, ["Randomized", f"(n = {flow.count(ard, RANDOMIZED)})"])
    chains, sides = [[assessed, randomized]], [(assessed, excluded)]
    for (x, outer), arm in zip(ARM_COLUMNS, c.ARMS, strict=True):
        n = {stage: flow.count(ard, stage, arm) for stage in flow.stages}
        allocated = draw(x, 0.695, [
            f"Allocated to {c.ARM_LABELS[arm]} (n = {n[RANDOMIZED]})",
            f"Received allocated intervention (n = {n[TREATED]})",
            f"Did not receive it (n = {n[RANDOMIZED] - n[TREATED]})"])  # fmt: skip
        lost = draw(
            outer,
            0.51,
            [
                f"Discontinued before week 24 (n = {n[WITHDRAWN]})",
                *withdrawal_lines(ard, flow, arm),
            ],
            facecolor="#f7f7f7",
        )
        completed = draw(x, 0.375, ["Completed week 24", f"(n = {n[COMPLETED]})"])
        dropped = draw(outer, 0.225, ["Excluded from analysis", *exclusion_lines(ard, flow, arm)],
                       facecolor="#f7f7f7")  # fmt: skip
        analysed = draw(x, 0.085, ["Analyzed", *(
            f"{c.POPULATION_LABELS[p].removesuffix(' population').capitalize()}: "
            f"n = {n[f'analysed_{p}']}" for p in c.POPULATIONS)])  # fmt: skip
        chains.append([randomized, allocated, completed, analysed])
        sides += [(allocated, lost), (completed, dropped)]
    fig.canvas.draw()
    to_data = ax.transData.inverted()

    def extent(box: Any) -> Any:
        return box.get_bbox_patch().get_window_extent().transformed(to_data)

    def arrow(start: tuple[float, float], end: tuple[float, float]) -> None:
        # between box edges at fixed positions: the inline backend's tight bounding box cannot
        # clip such an arrow away
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "->", "color": "0.25"})  # fmt: skip

    for chain in chains:
        for upper, lower in itertools.pairwise(chain):
            x = lower.get_position()[0]
            arrow((upper.get_position()[0], extent(upper).y0), (x, extent(lower).y1))
    for main, side in sides:
        # from the main arrow, sideways to the side box's left edge
        y = side.get_position()[1]
        arrow((main.get_position()[0], y), (extent(side).x0, y))
    plt.close(fig)
    return fig


def plot_schedule(days: Mapping[int, list[int]], weeks: Sequence[int]) -> Figure:
    """Timeline: dosing cycles as shaded spans with injection ticks, visits as markers (weeks;
    study day d of :func:`ldil2.contract.dosing_days` is week (d - 1) / 7)."""
    fig, ax = plt.subplots(figsize=(theme.CONTENT_WIDTH_IN, 2.8))
    colour = theme.ARM_PALETTE[c.ARM_LDIL2]
    for cycle, cycle_days in days.items():
        weeks_of = [(d - c.FIRST_DOSE_DAY) / 7 for d in cycle_days]
        start, end = weeks_of[0], weeks_of[-1]
        ax.axvspan(start, end, ymin=0.55, ymax=0.95, color=colour, alpha=0.25, lw=0)
        ax.vlines(weeks_of, 0.62, 0.88, color=colour, lw=1.5)
        ax.text((start + end) / 2, 1.02, f"Cycle {cycle}", ha="center", va="bottom")
    ax.plot(weeks, [0.25] * len(weeks), "D", color="0.2", ms=6, label="Assessment visit")
    ax.vlines([], 0, 0, color=colour, label="Injection (Ld-IL2 or placebo)")
    ax.set_ylim(0, 1.2)
    ax.set_yticks([])
    ax.set_xticks(weeks)
    ax.set_xlim(-0.5, max(weeks) + 0.5)
    ax.set_xlabel(theme.WEEK_AXIS)
    ax.legend(loc="upper right", frameon=False, bbox_to_anchor=(1.0, -0.35), ncol=2)
    return theme.finish(fig)
