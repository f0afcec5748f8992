"""What every chapter module returns: a :class:`Result` (glue values, tables, figures and the
ARD rows they were rendered from), and :func:`glue_result`, the one call that puts it on a page.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

from ldil2.results import format as ard_format
from ldil2.results.ard import Ard

GlueValue = str | int | float


@dataclass(frozen=True)
class Result:
    """What one chapter cell produces, keyed by glue name.

    Attributes
    ----------
    values : plain Python values (str, int, float) for ``{glue:text}`` roles, rendered from `ard`
    tables : HTML table objects (``_repr_html_``) for ``{glue:any}`` directives
    figures : matplotlib figures for ``{glue:figure}`` directives
    ard : the ARD rows every number above was rendered from (None: the cell shows no number)
    """

    values: Mapping[str, GlueValue] = field(default_factory=dict)
    tables: Mapping[str, Any] = field(default_factory=dict)
    figures: Mapping[str, Figure] = field(default_factory=dict)
    ard: Ard | None = None

    def __post_init__(self) -> None:
        for name, value in self.values.items():
            if type(value) not in (str, int, float):
                raise TypeError(
                    f"glue value {name!r}: {type(value).__name__} is not a plain str, int or float"
                )
        names = [*self.values, *self.tables, *self.figures]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"glue names used twice in one result: {duplicated}")
        reserved = [n for n in names if ard_format.is_ard_glue(n)]
        if reserved:
            raise ValueError(f"glue names {reserved} use the reserved ARD prefix")


_ARD_GLUES = itertools.count(1)


def glue_result(result: Result) -> None:
    """Glue every value, table and figure of `result` under its name, without displaying it,
    and its ARD rows as JSON under the next reserved name (``ldil2_ard_<k>``), which the build
    collects into ``<out>/results/ard.csv``."""
    from myst_nb import glue  # the kernel only: importing myst_nb loads Sphinx

    for name, item in {**result.values, **result.tables, **result.figures}.items():
        glue(name, item, display=False)
    if result.ard is not None and len(result.ard):
        name = f"{ard_format.ARD_GLUE_PREFIX}{next(_ARD_GLUES)}"
        glue(name, ard_format.to_json(result.ard.rows()), display=False)
