"""Data releases: snapshots of the glued results of a built edition, and what changed.

A snapshot is ``releases/<version>.json``: every scalar value a built edition glued into its
chapters, by name (``<chapter>:<glue name>``), written as deterministic JSON (sorted keys,
two-space indent, trailing newline). ``python -m ldil2 release`` writes it; the "What changed"
chapter compares the snapshot of the current data version with the latest snapshot of another
version.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import nbformat
import pandas as pd

GLUE_PREFIX = "application/papermill.record/"
"""MIME prefix myst-nb gives a value glued with ``display=False`` (myst_nb.ext.glue)."""

SNAPSHOT_FORMAT = 1

Scalar = str | int | float | bool


def glued_values(notebook: Path) -> dict[str, Scalar]:
    """Scalar values glued in one executed notebook, by glue name.

    Parameters
    ----------
    notebook : an executed ``.ipynb`` whose code cells called ``myst_nb.glue``

    Returns
    -------
    dict : glue name -> value. A glued output carries ``metadata.scrapbook.name`` and its
        ``text/plain`` repr (with the ``application/papermill.record/`` prefix when glued with
        ``display=False``); the repr of a plain Python ``str``/``int``/``float``/``bool`` is read
        back with ``ast.literal_eval``. Figures and rich objects (whose repr is not a literal) are
        not values and are left out; tables' numbers are glued separately as scalars.

    Raises
    ------
    ValueError : a glue name used twice in the notebook (names the notebook and the name)
    """
    nb = nbformat.read(notebook, as_version=4)
    values: dict[str, Scalar] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            name = meta["name"]
            if name in values:
                raise ValueError(f"{notebook}: glue name {name!r} is used twice")
            text = output.get("data", {}).get(meta.get("mime_prefix", "") + "text/plain")
            value = _literal(text)
            if value is not None:
                values[name] = value
    return values


def _literal(text: str | None) -> Scalar | None:
    """The plain scalar a ``text/plain`` repr stands for, or None for any other object."""
    if text is None:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, str | int | float | bool) else None


def edition_values(notebooks: list[Path]) -> dict[str, Scalar]:
    """Glued scalars of every chapter of an edition, keyed ``<chapter stem>:<glue name>``."""
    values: dict[str, Scalar] = {}
    for notebook in sorted(notebooks):
        for name, value in glued_values(notebook).items():
            values[f"{notebook.stem}:{name}"] = value
    return values


def write_snapshot(
    values: dict[str, Scalar], version: str, releases_dir: Path, edition: dict | None = None
) -> Path:
    """Write ``releases_dir/<version>.json`` (deterministic: sorted keys, no dates).

    Parameters
    ----------
    values : result name -> scalar, as from :func:`edition_values`
    version : data release version (metadata.yml ``version``), e.g. ``2026.11.1``
    releases_dir : directory of committed snapshots (created if absent)
    edition : the edition's parameters worth recording (population, imputation, ...)

    Returns
    -------
    Path : the file written
    """
    releases_dir.mkdir(parents=True, exist_ok=True)
    path = releases_dir / f"{version}.json"
    document = {
        "format": SNAPSHOT_FORMAT,
        "version": version,
        "edition": edition or {},
        "values": values,
    }
    path.write_text(json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    return path


def read_snapshot(path: Path) -> dict:
    """Read one snapshot written by :func:`write_snapshot`.

    Raises
    ------
    ValueError : the file is not a snapshot (names the file and the missing field)
    """
    document = json.loads(path.read_text())
    for field in ("version", "values"):
        if field not in document:
            raise ValueError(f"{path}: not a release snapshot, field {field!r} is missing")
    return document


def version_key(version: str) -> tuple:
    """Sort key of a release version: ``2026.08.1`` < ``2026.11.1`` < ``2026.11.10``.

    Dot-separated parts compare as integers where they are integers, else as text.
    """
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split("."))


def snapshot_versions(releases_dir: Path) -> list[str]:
    """Versions that have a snapshot in ``releases_dir``, oldest first."""
    if not releases_dir.is_dir():
        return []
    return sorted((p.stem for p in releases_dir.glob("*.json")), key=version_key)


def previous_version(releases_dir: Path, current_version: str) -> str | None:
    """The latest snapshot version other than ``current_version`` (None if there is none)."""
    others = [v for v in snapshot_versions(releases_dir) if v != current_version]
    return others[-1] if others else None


def _same(a: Scalar | None, b: Scalar | None) -> bool:
    """Equal values; floats equal within 1e-9 relative (platform rounding is not a change)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return type(a) is type(b) and a == b


def what_changed(
    current_values: dict[str, Scalar], releases_dir: Path, current_version: str
) -> pd.DataFrame:
    """Results whose value differs from the latest snapshot of another data version.

    Parameters
    ----------
    current_values : result name -> value of the current data version
    releases_dir : directory of snapshots ``<version>.json``
    current_version : version of the current data release (its own snapshot is not compared)

    Returns
    -------
    DataFrame : one row per changed result, sorted by name, with columns ``chapter``, ``result``,
        ``previous_version``, ``previous``, ``current``. A result present in only one of the two
        has ``None`` on the other side. Empty (same columns) when nothing changed or there is no
        snapshot of another version.
    """
    columns = ["chapter", "result", "previous_version", "previous", "current"]
    other = previous_version(releases_dir, current_version)
    if other is None:
        return pd.DataFrame(columns=columns)
    previous_values = read_snapshot(releases_dir / f"{other}.json")["values"]
    rows = []
    for key in sorted(set(previous_values) | set(current_values)):
        before, now = previous_values.get(key), current_values.get(key)
        if not _same(before, now):
            chapter, _, result = key.partition(":")
            rows.append((chapter, result, other, before, now))
    return pd.DataFrame(rows, columns=columns, dtype=object)
