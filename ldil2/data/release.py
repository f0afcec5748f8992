"""Load and validate a data release against the data contract (:mod:`ldil2.data.schemas`).

:func:`load` reads every CSV as text, converts each column to its contract type itself (so a
non-numeric value is reported with its line, not raised as a traceback), validates all files
lazily and raises :class:`ReleaseError` listing every problem. A table the caller did not ask
for is not read, and reading it from the :class:`Release` raises :class:`UndeclaredTableError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from ldil2 import contract as c
from ldil2.data.checks import (
    Frames,
    Problem,
    cross_file_rules,
    metadata_problems,
    problem_order,
    read_csv,
    schema_problems,
)
from ldil2.data.schemas import PANDAS_DTYPE, SCHEMAS


class ReleaseError(ValueError):
    """A data release breaks the contract. ``.problems`` lists every violation found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UndeclaredTableError(LookupError):
    """A table of the release was read that the caller did not load (a chapter that does not
    declare the file under ``ldil2: reads:`` in its front matter)."""

    def __init__(self, file: str):
        self.file = file
        super().__init__(
            f"{file} is read but was not loaded: declare it under `ldil2: reads:` in the "
            "chapter's front matter"
        )


@dataclass(frozen=True)
class Release:
    """A validated data release: one DataFrame per contract file read, its metadata and record.

    Attributes
    ----------
    frames : contract file name -> its typed frame, for the files read
    metadata : metadata.yml
    published : the published record (published.csv; empty when absent)
    data_dir : where the release was read from
    tables : the contract files read (subjects.csv always)

    The tables are read as attributes (``release.assessments``); a table that was not read
    raises :class:`UndeclaredTableError` naming its file, never an empty frame.
    """

    frames: dict[str, pd.DataFrame] = field(repr=False)
    metadata: dict[str, Any]
    published: pd.DataFrame
    data_dir: Path
    tables: tuple[str, ...] = field(default=c.RELEASE_TABLES)

    def table(self, file: str) -> pd.DataFrame:
        """The frame of contract file `file` (e.g. ``labs.csv``).

        Raises
        ------
        UndeclaredTableError : the file was not read
        """
        if file not in self.frames:
            raise UndeclaredTableError(file)
        return self.frames[file]

    @property
    def subjects(self) -> pd.DataFrame:
        """subjects.csv."""
        return self.table(c.SUBJECTS)

    @property
    def assessments(self) -> pd.DataFrame:
        """assessments.csv."""
        return self.table(c.ASSESSMENTS)

    @property
    def adverse_events(self) -> pd.DataFrame:
        """adverse_events.csv."""
        return self.table(c.ADVERSE_EVENTS)

    @property
    def labs(self) -> pd.DataFrame:
        """labs.csv."""
        return self.table(c.LABS)

    @property
    def immunology(self) -> pd.DataFrame:
        """immunology.csv."""
        return self.table(c.IMMUNOLOGY)

    @property
    def exposure(self) -> pd.DataFrame:
        """exposure.csv."""
        return self.table(c.EXPOSURE)

    @property
    def version(self) -> str:
        """Release version from metadata.yml, e.g. ``2026.11.1``."""
        return str(self.metadata[c.META_VERSION])

    @property
    def provenance(self) -> str:
        """``simulated`` or ``trial``."""
        return str(self.metadata[c.META_PROVENANCE])

    @property
    def is_simulated(self) -> bool:
        """True when the participants are simulated."""
        return self.provenance == c.SIMULATED


def _empty_frame(schema: pa.DataFrameSchema) -> pd.DataFrame:
    """A frame with no row and the schema's columns and types (published.csv when absent)."""
    return pd.DataFrame(
        {
            col: pd.Series(dtype=PANDAS_DTYPE[spec.metadata["kind"]])
            for col, spec in schema.columns.items()
        }
    )


def load(data_dir: str | Path, tables: Iterable[str] | None = None) -> Release:
    """Read and validate a data release.

    Parameters
    ----------
    data_dir : directory holding the contract's CSV files, ``metadata.yml`` and, optionally,
        ``published.csv``
    tables : file names to read (e.g. ``["assessments.csv"]``); ``subjects.csv`` and
        ``metadata.yml`` are always read. ``None`` reads every file. Reading a table not read
        raises :class:`UndeclaredTableError`.

    Returns
    -------
    Release : typed frames (nullable ``Int64`` counts and weeks, ``float64`` measures,
        ``boolean`` flags, ``str`` text), the metadata and the published record.

    Raises
    ------
    ReleaseError : every problem found, one per line, each naming file, line (header = line 1),
        column, value and rule. Cross-file rules are checked among the tables read.
    """
    data_dir = Path(data_dir)
    wanted = c.RELEASE_TABLES if tables is None else tuple(tables)
    unknown = [t for t in wanted if t not in c.RELEASE_TABLES]
    if unknown:
        raise ValueError(f"tables: unknown file(s) {unknown}; expected some of {c.RELEASE_TABLES}")
    read = tuple(t for t in c.RELEASE_TABLES if t == c.SUBJECTS or t in wanted)
    problems: list[Problem] = []
    frames: Frames = {}
    for name in read:
        path = data_dir / name
        if not path.is_file():
            problems.append(Problem(name, None, None, "(missing)", "file present"))
            continue
        frame, raw, found = read_csv(path, SCHEMAS[name])
        problems += found
        if frame is not None:
            problems += schema_problems(name, frame, raw, SCHEMAS[name])
            frames[name] = (frame, raw)
    if c.SUBJECTS in frames:
        problems += cross_file_rules(frames)
    metadata, found = _read_metadata(data_dir)
    problems += found
    published = _empty_frame(SCHEMAS[c.PUBLISHED])
    if (data_dir / c.PUBLISHED).is_file():
        frame, raw, found = read_csv(data_dir / c.PUBLISHED, SCHEMAS[c.PUBLISHED])
        problems += found
        if frame is not None:
            problems += schema_problems(c.PUBLISHED, frame, raw, SCHEMAS[c.PUBLISHED])
            published = frame
    if problems:
        raise ReleaseError(sorted(problems, key=problem_order))
    return Release(
        frames={name: frames[name][0] for name in read if name in frames},
        metadata=metadata,
        published=published,
        data_dir=data_dir,
        tables=read,
    )


def _read_metadata(data_dir: Path) -> tuple[Any, list[Problem]]:
    """metadata.yml of the release and its problems (``{}`` when it cannot be read)."""
    meta_path = data_dir / c.METADATA
    if not meta_path.is_file():
        return {}, [Problem(c.METADATA, None, None, "(missing)", "file present")]
    try:
        metadata = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        first_line = str(error).strip().splitlines()[0]
        return {}, [Problem(c.METADATA, None, None, f"({first_line})", "valid UTF-8 YAML")]
    return metadata, metadata_problems(metadata)


def load_metadata(data_dir: str | Path) -> Release:
    """The release at ``data_dir`` with only ``metadata.yml`` read and checked: no table is read
    (``tables`` is empty, reading one raises :class:`UndeclaredTableError`) and ``published`` is
    empty. For a caller that knows the tables valid already: the build, when :func:`load`
    accepted these very files under this very code before (:mod:`ldil2.pipeline.build`).

    Raises
    ------
    ReleaseError : the problems of metadata.yml
    """
    data_dir = Path(data_dir)
    metadata, problems = _read_metadata(data_dir)
    if problems:
        raise ReleaseError(sorted(problems, key=problem_order))
    published = _empty_frame(SCHEMAS[c.PUBLISHED])
    return Release(frames={}, metadata=metadata, published=published, data_dir=data_dir, tables=())


def validate_command(data_dir: str | Path) -> int:
    """``python -m ldil2 validate DATA_DIR``: 0 if the release is valid, else print every problem
    (one per line, on standard output) and return 1."""
    try:
        release = load(data_dir)
    except ReleaseError as error:
        print(f"{data_dir}: {len(error.problems)} problem(s)")
        print(error)
        return 1
    n = len(release.subjects)
    print(f"{data_dir}: valid release {release.version} ({release.provenance}, {n} participants)")
    return 0
