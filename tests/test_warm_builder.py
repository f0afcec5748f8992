"""Tests of ldil2.pipeline.warm_builder: the process every rebuild of serve is forked from."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

from ldil2.pipeline.warm_builder import WarmBuilder, warm_imports

ROOT = Path(__file__).resolve().parents[1]

RECORD = """
import json, os, sys
from pathlib import Path
Path({out!r}).write_text(json.dumps({{
    "modules": sorted(sys.modules),
    "threads": os.environ.get("OMP_NUM_THREADS"),
}}))
"""


def test_the_warm_imports_are_the_builds_heavy_modules_and_no_module_of_ldil2():
    names = warm_imports(ROOT)
    assert {"pandas", "nbformat", "jupytext", "jupyter_book.sphinx", "yaml"} <= set(names)
    # the book's Sphinx extensions, and what myst-nb imports only when it is set up
    assert {"myst_nb", "sphinx_book_theme", "sphinxcontrib.bibtex", "myst_nb.sphinx_ext"} <= set(
        names
    )
    assert not [name for name in names if name.split(".")[0] == "ldil2"]


def test_a_forked_build_finds_the_imports_done_and_no_ldil2_module_loaded(tmp_path: Path):
    """The fork server imported the heavy modules once; it never imported ldil2, so every build
    forked from it imports the package as it is on disk then (an edit takes effect)."""
    builder = WarmBuilder(ROOT, ["sphinx.application", "pandas"])
    script = tmp_path / "record.py"
    for run in ("first", "second"):
        out = tmp_path / f"{run}.json"
        script.write_text(RECORD.format(out=str(out)), encoding="utf-8")
        assert builder.run(runpy.run_path, (str(script),)) == 0
        record = json.loads(out.read_text(encoding="utf-8"))
        assert {"sphinx.application", "pandas"} <= set(record["modules"])
        assert not [name for name in record["modules"] if name.split(".")[0] == "ldil2"]
        assert record["threads"] == "1"  # one BLAS thread per kernel, as a build is started
