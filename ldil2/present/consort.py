"""The CONSORT flow diagram and the dosing-and-visit timeline.

The diagram's numbers are ARD rows (the participant flow recorded by
:mod:`ldil2.book.participants`), read through a :class:`Flow` of their result_ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    """

    total: Count
    stages: Mapping[str, Mapping[str, Count]]
    reasons: Mapping[str, Sequence[tuple[str, tuple[int, ...]]]]

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


def _mpl_text(text: str) -> str:
    """Data text made safe for matplotlib: a '$' would otherwise start mathtext."""
    return text.replace("$", r"\$")


def plot_consort(ard: Ard, flow: Flow) -> Figure:
    """CONSORT flow diagram (boxes and arrows, one column per arm).

    Stages: randomized; allocated and treated; withdrawn before week 24 with each reason, count
    and weeks; completed week 24; analysed in each population. Every number is an ARD row of
    `flow`.
    """
    fig, ax = plt.subplots(figsize=(8.0, 7.5))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    box = {"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": "0.25"}

    def draw(x: float, y: float, text: str) -> Any:
        return ax.text(x, y, text, ha="center", va="center", fontsize=11, bbox=box)

    def edges(box: Any) -> tuple[float, float]:
        # the box's bottom and top in data coordinates (known once the figure is laid out)
        extent = box.get_bbox_patch().get_window_extent().transformed(ax.transData.inverted())
        return extent.y0, extent.y1

    def arrow(upper: Any, lower: Any) -> None:
        # from the bottom edge of the upper box to the top edge of the lower one, at fixed
        # positions: the figure's output (inline backend, tight bounding box) cannot clip it away
        (x0, _), (x1, _) = upper.get_position(), lower.get_position()
        ax.annotate("", xy=(x1, edges(lower)[1]), xytext=(x0, edges(upper)[0]),
                    arrowprops={"arrowstyle": "->", "color": "0.25"})  # fmt: skip

    top = draw(0.5, 0.95, f"Randomized\nn = {flow.count(ard, RANDOMIZED)}")
    stages: list[list[Any]] = []
    for x, arm in zip((0.25, 0.75), c.ARMS, strict=True):
        n = {stage: flow.count(ard, stage, arm) for stage in flow.stages}
        reasons = "".join(f"\n{_mpl_text(line)}" for line in withdrawal_lines(ard, flow, arm))
        analysed = "".join(
            f"\n{c.POPULATION_LABELS[p].capitalize()}: n = {n[f'analysed_{p}']}"
            for p in c.POPULATIONS
        )
        boxes = [
            draw(x, 0.78, f"Allocated to {c.ARM_LABELS[arm]}\nn = {n[RANDOMIZED]}\n"
                 f"Received at least one dose: n = {n[TREATED]}"),
            draw(x, 0.56, f"Withdrew before week 24: n = {n[WITHDRAWN]}{reasons}"),
            draw(x, 0.34, f"Completed week 24\nn = {n[COMPLETED]}"),
            draw(x, 0.12, f"Analysed{analysed}"),
        ]  # fmt: skip
        stages.append([top, *boxes])
    fig.canvas.draw()
    for chain in stages:
        for upper, lower in itertools.pairwise(chain):
            arrow(upper, lower)
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
