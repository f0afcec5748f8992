"""Courses over time: the mean (95% CI) of several measures by visit, one panel per measure and
one line per arm (the laboratory and the immunological-marker figures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ldil2.present.theme import (
    CONTENT_WIDTH_IN,
    WEEK_AXIS,
    arm_errorbars,
    figure_legend_above,
    finish,
)


def plot_courses(
    courses: Mapping[str, pd.DataFrame],
    labels: Mapping[str, str],
    shade_weeks: Sequence[tuple[float, float]] = (),
    reference: Mapping[str, Sequence[float]] | None = None,
    ncols: int = 2,
) -> Figure:
    """Mean (95% CI) of several measures over weeks, one panel per measure, one line per arm.

    Parameters
    ----------
    courses : measure -> :func:`ldil2.stats.means.mean_by_visit` output (arm, week, mean,
        ci_low, ci_high), panels in this order
    labels : measure -> axis label with its unit
    shade_weeks : (start, end) week spans drawn as grey bands (e.g. the dosing cycles)
    reference : measure -> limits drawn as dashed lines (a reference range)
    ncols : panels per row (the figure is the column's width, :data:`CONTENT_WIDTH_IN`)

    Returns
    -------
    Figure : error bars are the t-based 95% CI of the means; the week axis labelled under the
        bottom row; one legend above the panels; closed in pyplot.
    """
    nrows = -(-len(courses) // ncols)
    height = 0.5 + 2.6 * nrows
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(CONTENT_WIDTH_IN, height), sharex=True, squeeze=False
    )
    for ax, (measure, course) in zip(axes.flat, courses.items(), strict=False):
        for start, end in shade_weeks:
            ax.axvspan(start, end, color="0.88", zorder=0, lw=0)
        for limit in (reference or {}).get(measure, ()):
            ax.axhline(limit, color="0.4", ls="--", lw=0.8)
        arm_errorbars(ax, course, "mean", "ci_low", "ci_high", ms=4, capsize=2)
        ax.set_title(labels[measure])
        ax.set_xlabel("")
    for ax in axes[-1]:
        ax.set_xlabel(WEEK_AXIS)
    for ax in axes.flat[len(courses) :]:
        ax.set_visible(False)
    figure_legend_above(fig, axes.flat[0])
    return finish(fig, top=1 - 0.4 / height)
