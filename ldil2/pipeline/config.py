"""Where a book is and what it is built with: the book root, ``parameters.yml`` and the toc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = "_config.yml"
PARAMETERS_FILE = "parameters.yml"
TOC_FILE = "_toc.yml"
# Parameters the build adds for its own use (not chosen by an editor of the book).
INTERNAL_PARAMETERS = ("tables", "results")


def find_root(start: Path | None = None) -> Path:
    """The book root: the nearest folder at or above ``start`` holding the toc and parameters.

    Parameters
    ----------
    start : folder to search from; default the current working directory

    Returns
    -------
    Path : that folder; if there is none, the repository holding the installed ``ldil2`` package
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / TOC_FILE).is_file() and (folder / PARAMETERS_FILE).is_file():
            return folder
    return Path(__file__).resolve().parents[2]


def read_parameters(path: Path) -> dict[str, Any]:
    """The book-level parameters of ``parameters.yml`` as a dict.

    Raises
    ------
    ValueError : names the file when it is not a YAML mapping
    """
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping of parameter names to values")
    return loaded
