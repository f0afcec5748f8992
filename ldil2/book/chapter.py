"""Chapter set-up: the one call every chapter makes in its second cell.

A chapter's first code cell (tagged ``parameters``) holds only ``params = None``; the build injects
the edition's parameters as a dict. The second cell is::

    from ldil2.book import chapter; ch = chapter.setup(params)

which loads the data release (only the tables the chapter declared in its front matter under
``ldil2: reads:``), applies the book's one seaborn theme and returns a :class:`Chapter`.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ldil2 import contract
from ldil2.data import release as data
from ldil2.derive.analysis import make_analysis_table
from ldil2.pipeline.config import INTERNAL_PARAMETERS, PARAMETERS_FILE, find_root, read_parameters
from ldil2.present import theme
from ldil2.stats.fits import computed_once


@dataclass
class Chapter:
    """What a chapter works with: its parameters, its data release and the analysis table.

    Attributes
    ----------
    params : the edition's parameters (parameters.yml + command-line overrides + ``tables``)
    release : the data release, loaded with only the tables the chapter declared
    population : the analysis population code (``per_protocol`` | ``itt`` | ``safety``)
    """

    params: dict[str, Any]
    release: Any
    population: str = field(init=False)

    def __post_init__(self) -> None:
        population = self.params.get("population", contract.POPULATIONS[0])
        if population not in contract.POPULATIONS:
            raise ValueError(
                f"parameter population: {population!r} is not one of {contract.POPULATIONS}"
            )
        self.population = population

    @property
    def population_label(self) -> str:
        """Plain-language name of the analysis population, e.g. "per-protocol population"."""
        return contract.POPULATION_LABELS[self.population]

    def parameters_html(self) -> str:
        """The edition's parameters as an HTML table (names and values escaped); ``tables``
        (which the build sets per chapter) is left out."""
        shown = {k: v for k, v in self.params.items() if k not in INTERNAL_PARAMETERS}
        rows = "".join(
            f"<tr><td><code>{html.escape(str(k))}</code></td><td>{html.escape(str(v))}</td></tr>"
            for k, v in shown.items()
        )
        return (
            '<table class="table"><caption>Parameters this edition was built with</caption>'
            f"<thead><tr><th>parameter</th><th>value</th></tr></thead><tbody>{rows}</tbody>"
            "</table>"
        )

    @cached_property
    def analysis(self):
        """The analysis table (one row per subject and attended visit), built on first use."""
        return make_analysis_table(self.release, joints=self.params.get("acr_joints", "68/66"))


def setup(params: dict[str, Any] | None) -> Chapter:
    """Load what a chapter needs and apply the book's figure theme.

    Parameters
    ----------
    params : the injected parameters; ``None`` (an author running the chapter in JupyterLab)
        reads ``parameters.yml`` of the book root (see :func:`find_root`) and loads every table

    Returns
    -------
    Chapter

    Raises
    ------
    ldil2.data.ReleaseError : the data release breaks the data contract
    ValueError : an unknown analysis population

    Notes
    -----
    A relative ``data_dir`` is resolved against the book root, so a chapter gives the same
    result whether it runs in the build (working directory: the book root) or in JupyterLab.
    """
    root = find_root()
    if params is None:
        params = read_parameters(root / PARAMETERS_FILE)
    params = dict(params)
    data_dir = Path(params.get("data_dir", "data"))
    if not data_dir.is_absolute():
        data_dir = root / data_dir
    release = loaded_once(data_dir, params.get("tables"))
    theme.set_theme()
    return Chapter(params=params, release=release)


def release_key(data_dir: Path, tables: list[str] | None) -> str:
    """SHA-256 of the tables asked for and every file of the release (relative path and bytes):
    equal keys, equal :func:`ldil2.data.release.load` results (within one build: one code)."""
    digest = hashlib.sha256(f"release\0{sorted(tables) if tables is not None else None}".encode())
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        digest.update(f"\0{path.relative_to(data_dir).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def loaded_once(data_dir: Path, tables: list[str] | None) -> data.Release:
    """:func:`ldil2.data.release.load` of ``data_dir`` with ``tables``, validated once per build:
    the first chapter to load a release keeps it in the build's fit store
    (:func:`ldil2.stats.fits.computed_once`) and the others with the same tables read it (a
    hundredth of a second against over half a second on the 100-fold release). Each chapter
    gets its own copy; outside a build it is simply loaded.

    Raises
    ------
    ldil2.data.ReleaseError : the data release breaks the data contract
    """
    return computed_once(release_key(data_dir, tables), lambda: data.load(data_dir, tables))
