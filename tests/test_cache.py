"""Tests of the chapter cache (ldil2.pipeline.cache, stage.with_current_markdown) and of the warm
kernels (ldil2.pipeline.kernels): prose edits reuse outputs, keys follow the modules a chapter
reaches through the import graph, reverting an edit reuses the earlier outputs, and chapters run
one after another in a warm kernel do not see each other's state.

The build tests use a tiny book whose two chapters import one module of ``ldil2`` each, with a
copy of the package put first on PYTHONPATH, so that editing "a module" never touches the
repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import nbformat
import pytest
from conftest import ROOT, tiny_book_root
from test_build import TINY_HEADER, kernel_trap, tree_digest

from ldil2 import contract
from ldil2.pipeline import cache, execute, kernels, stage, toc

# A chapter that imports one module of ldil2 (``{module}``) and glues a number and a sentence.
CHAPTER = """
# {title}

Prose of {title}, version {version}.

```{{code-cell}} ipython3
:tags: [parameters]

params = None
```

```{{code-cell}} ipython3
:tags: [remove-cell]

from myst_nb import glue
import {module}

glue("{title}_module", {module}.__name__)
```

The module is {{glue:text}}`{title}_module`.
"""


def write(root: Path, title: str, module: str, version: int = 1) -> Path:
    path = root / "chapters" / f"{title}.md"
    body = CHAPTER.format(title=title, module=module, version=version)
    path.write_text(TINY_HEADER.format(reads=contract.SUBJECTS) + body, encoding="utf-8")
    return path


@pytest.fixture
def module_book(tmp_path: Path) -> Path:
    """A tiny book: ``alpha`` imports ``ldil2.contract``, ``beta`` imports
    ``ldil2.present.format``; a copy of ``ldil2`` in ``<tmp>/pkg`` (on PYTHONPATH in
    :func:`build`)."""
    root = tiny_book_root(tmp_path / "book", ["chapters/alpha", "chapters/beta"])
    (root / "index.md").write_text(
        TINY_HEADER.format(reads=contract.SUBJECTS) + "\n# Tiny\n", encoding="utf-8"
    )
    write(root, "alpha", "ldil2.contract")
    write(root, "beta", "ldil2.present.format")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "ldil2", tmp_path / "pkg" / "ldil2", ignore=ignore)
    return root


def build(root: Path, out: Path, env: dict[str, str] | None = None) -> dict:
    """``python -m ldil2 build`` of ``root`` with the package copy first on PYTHONPATH; the
    report."""
    package = root.parent / "pkg"
    result = subprocess.run(
        [sys.executable, "-m", "ldil2", "build", "--out", str(out), "--jobs", "1"],
        cwd=root,
        env=dict(os.environ, **execute.THREAD_ENV, PYTHONPATH=str(package), **(env or {})),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def statuses(report: dict) -> dict[str, str]:
    return {name: entry["status"] for name, entry in report["chapters"].items()}


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def test_key_ignores_markdown_and_follows_code(module_book: Path):
    md = module_book / "chapters" / "alpha.md"

    def key() -> str:
        return cache.chapter_key(md, {"population": "itt"}, module_book / "data", [], module_book)

    before = key()
    write(module_book, "alpha", "ldil2.contract", version=2)  # prose only
    assert key() == before
    md.write_text(md.read_text(encoding="utf-8").replace("import ldil2", "import os, ldil2"))
    assert key() != before


def test_code_files_follow_the_import_graph():
    graph = cache.import_graph()
    safety = cache.code_files(toc.read_chapter(ROOT / "chapters" / "safety.md"), graph)
    package = {p.relative_to(cache.PACKAGE_DIR).as_posix() for p in safety}
    # what the chapter imports, what that imports, and the packages around them
    assert {"book/safety.py", "present/safety.py", "contract.py", "__init__.py"} <= package
    assert "book/__init__.py" in package
    # what it never reaches
    assert not {"pipeline/site.py", "book/primary.py", "simulate/__init__.py"} & package
    assert {p.relative_to(cache.PACKAGE_DIR) for p in cache.package_files()} > {
        Path(name) for name in package
    }


def test_reached_modules_are_transitive_with_their_packages():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a.x", "p.b"), ("p.b", "p.c.d"), ("p.e", "p.f")]:
        graph.add_import(importer=importer, imported=imported)
    for module in ["p", "p.a", "p.c"]:
        graph.add_module(module)
    reached = cache.reached_modules({"p.a.x", "p.a.x.NAME"}, graph)
    assert reached == {"p", "p.a", "p.a.x", "p.b", "p.c", "p.c.d"}


def test_imported_modules_reads_import_statements():
    code = ["import ldil2.contract\nfrom ldil2.book import common, safety\nimport os"]
    assert cache.imported_modules(code) == {
        "ldil2.contract",
        "ldil2.book",
        "ldil2.book.common",
        "ldil2.book.safety",
    }
    assert cache.imported_modules(["%matplotlib inline"]) is None  # then: the whole package


def test_warm_modules_are_third_party_imports_only():
    files = cache.code_files(toc.read_chapter(ROOT / "chapters" / "safety.md"))
    modules = kernels.warm_modules(files)
    assert {"pandas", "matplotlib.pyplot", "scipy.stats"} <= set(modules)
    assert not [m for m in modules if m.split(".")[0] in {"ldil2", "os", "__future__"}]


def test_eviction_keeps_the_most_recently_used_entries_with_their_products(tmp_path: Path):
    for index in range(6):
        path = cache.cached_path(tmp_path, "chapters/alpha", f"{index:016d}")
        path.write_text("{}", encoding="utf-8")
        cache.products_path(path).write_bytes(b"products")
        os.utime(path, ns=(index * 10**9, index * 10**9))
    gone = cache.cached_path(tmp_path, "chapters/gone", "0" * 16)
    gone.write_text("{}", encoding="utf-8")
    orphan = cache.products_path(cache.cached_path(tmp_path, "chapters/beta", "1" * 16))
    orphan.write_bytes(b"products of a notebook removed by hand")
    oldest = cache.cached_path(tmp_path, "chapters/alpha", f"{0:016d}")
    cache.mark_used(oldest)  # used now: the most recent
    removed = cache.evict(tmp_path, ["chapters/alpha", "chapters/beta"], keep=3)
    kept = sorted(p.name for p in tmp_path.iterdir())
    notebooks = [cache.cached_path(tmp_path, "chapters/alpha", f"{i:016d}") for i in (0, 4, 5)]
    assert kept == sorted(p.name for p in notebooks + [cache.products_path(p) for p in notebooks])
    assert gone in removed and len(removed) == 4


def test_staged_notebook_takes_current_markdown_and_cached_outputs(module_book, tmp_path):
    md = module_book / "chapters" / "alpha.md"
    source = toc.read_chapter(md)
    executed = nbformat.from_dict(source)
    code = [c for c in executed.cells if c.cell_type == "code"]
    code[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="cached output")]
    injected = nbformat.v4.new_code_cell("params = {}", metadata={"tags": [toc.INJECTED_TAG]})
    executed.cells.insert(executed.cells.index(code[0]) + 1, injected)
    cached = tmp_path / "alpha.ipynb"
    nbformat.write(executed, cached)
    write(module_book, "alpha", "ldil2.contract", version=2)
    staged = nbformat.reads(stage.staged_notebook(cached, "chapters/alpha", False, md), 4)
    text = [c.source for c in staged.cells]
    assert any("version 2" in t for t in text) and not any("version 1" in t for t in text)
    kinds = [(c.cell_type, c.metadata.get("tags", [])) for c in staged.cells]
    assert kinds.index(("code", [toc.INJECTED_TAG])) == kinds.index(("code", ["parameters"])) + 1
    assert [c.outputs for c in staged.cells if c.cell_type == "code"][2][0].text == "cached output"
    assert [c.id for c in staged.cells] == [f"cell-{i}" for i in range(1, len(staged.cells) + 1)]
    executed.cells.remove(code[1])
    nbformat.write(executed, cached)
    with pytest.raises(ValueError, match="code cells"):
        stage.staged_notebook(cached, "chapters/alpha", False, md)


# ---------------------------------------------------------------------------------------------
# Warm kernels
# ---------------------------------------------------------------------------------------------


def test_chapters_in_one_warm_kernel_do_not_see_each_other(tmp_path: Path):
    """A variable, a matplotlib setting, an environment variable and a changed module of ldil2
    left by one notebook are gone for the next, which also starts at execution count 1."""
    first = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os, matplotlib\nfrom ldil2 import contract\nleak = 1\n"
                "matplotlib.rcParams['lines.linewidth'] = 7.5\n"
                "os.environ['LDIL2_LEAK'] = '1'\ncontract.SUBJECTS = 'changed'\n"
                "os.chdir('/')"
            )
        ]
    )
    probe = (
        "import os, matplotlib\nfrom ldil2 import contract\n"
        "print('leak' in globals(), matplotlib.rcParams['lines.linewidth'],"
        " 'LDIL2_LEAK' in os.environ, contract.SUBJECTS, os.getcwd())"
    )
    kernel = kernels.WarmKernel(tmp_path, ["matplotlib.pyplot", "pandas"])
    try:
        fresh = kernel.execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)]))
        kernel.execute(first)
        after = kernel.execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)]))
    finally:
        kernel.shutdown()
    seen = after.cells[0].outputs[0].text
    assert seen == fresh.cells[0].outputs[0].text
    assert seen.startswith(f"False 1.5 False {contract.SUBJECTS} ")  # matplotlib's default
    assert after.cells[0].execution_count == 1


def test_failing_cell_in_a_warm_kernel_is_named(tmp_path: Path):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")]
    )
    kernel = kernels.WarmKernel(tmp_path, [])
    try:
        with pytest.raises(kernels.CellError) as raised:
            kernel.execute(nb)
        again = kernel.execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("2")]))
    finally:
        kernel.shutdown()
    assert (raised.value.cell_index, raised.value.ename) == (1, "ZeroDivisionError")
    assert again.cells[0].outputs[0].data["text/plain"] == "2"  # the kernel is still usable


def test_a_kernel_that_never_answers_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The first kernel started hangs without answering (as a wedged ipykernel does); after
    STARTUP_TIMEOUT it is stopped and a second one, which answers, runs the chapter. Each
    kernel talks over Unix sockets in a private directory, removed at shutdown."""
    marker = tmp_path / "first-start"
    spec = tmp_path / "jupyter" / "kernels" / "hangs-once"
    spec.mkdir(parents=True)
    program = (
        "import os, sys, time\n"
        f"if not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    time.sleep(600)\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', *sys.argv[1:]])\n"
    )
    kernel_json = {
        "argv": [sys.executable, "-c", program, "-f", "{connection_file}"],
        "display_name": "hangs once",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel_json), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setattr(kernels, "STARTUP_TIMEOUT", 3)
    kernel = kernels.WarmKernel(tmp_path, [], kernel_name="hangs-once")
    runtime = kernel.runtime
    try:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("6 * 7")])
        answer = kernel.execute(notebook).cells[0].outputs[0].data["text/plain"]
        assert kernel.km.transport == "ipc" and Path(kernel.km.ip).parent == runtime
    finally:
        kernel.shutdown()
    assert marker.exists() and answer == "42"
    assert not runtime.exists()


def test_a_kernel_that_never_starts_is_named_with_each_attempt(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", kernel_trap(tmp_path / "trap")["JUPYTER_PATH"])
    with pytest.raises(kernels.KernelError) as raised:
        kernels.WarmKernel(tmp_path, [])
    assert str(raised.value).count("Kernel died") == kernels.STARTS


def test_a_standing_kernel_is_attached_by_one_worker_at_a_time_and_outlives_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """serve's standing kernels: a build's worker attaches to a free one (no kernel started),
    runs chapters on it with the same reset as its own, and disconnecting leaves it running
    for the next build."""
    standing = kernels.StandingKernels(tmp_path, [], 1, {"LDIL2_STANDING_PROBE": "yes"})
    try:
        monkeypatch.setenv(kernels.STANDING_KERNELS_ENV, standing.ensure())
        probe = "import os\nprint(os.environ.get('LDIL2_STANDING_PROBE'), os.getpid())"
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
        claimed = kernels.claim_standing_kernel()
        assert claimed is not None
        kernel, lock = claimed
        assert kernels.claim_standing_kernel() is None  # held by the first worker
        first = kernel.execute(notebook).cells[0].outputs[0].text
        kernel.shutdown()
        lock.close()
        assert standing.kernels[0] is not None and standing.kernels[0].is_alive()
        again, lock = kernels.claim_standing_kernel()
        second = again.execute(notebook).cells[0].outputs[0].text
        again.shutdown()
        lock.close()
    finally:
        standing.shutdown()
    assert first.startswith("yes ") and second == first  # the same kernel, its environment


# ---------------------------------------------------------------------------------------------
# Builds of the tiny book
# ---------------------------------------------------------------------------------------------


@pytest.mark.build
def test_prose_edit_module_edit_and_revert(module_book: Path, tmp_path: Path):
    out = tmp_path / "out"
    cold = build(module_book, out)
    assert set(statuses(cold).values()) == {"executed"}
    assert cold["totals"]["kernels_started"] == 1  # --jobs 1: one warm kernel for all
    # prose: nothing executes, no kernel starts (any would fail), the page has the new text
    write(module_book, "beta", "ldil2.present.format", version=2)
    trap = kernel_trap(tmp_path / "trap")
    prose = build(module_book, out, trap)
    assert set(statuses(prose).values()) == {"reused"}
    assert prose["totals"]["kernels_started"] == 0
    page = (out / "html" / "chapters" / "beta.html").read_text(encoding="utf-8")
    assert "version 2" in page and "version 1" not in page
    # a module only beta reaches: beta executes, alpha and the index are reused
    module = module_book.parent / "pkg" / "ldil2" / "present" / "format.py"
    original = module.read_bytes()
    module.write_bytes(original + b"\n# a comment\n")
    edited = build(module_book, out)
    assert statuses(edited) == {
        "index": "reused",
        "chapters/alpha": "reused",
        "chapters/beta": "executed",
    }
    # a module no chapter reaches: nothing executes
    site = module_book.parent / "pkg" / "ldil2" / "pipeline" / "site.py"
    site.write_bytes(site.read_bytes() + b"\n# a comment\n")
    assert set(statuses(build(module_book, out, trap)).values()) == {"reused"}
    # revert the module: the earlier outputs are still cached
    module.write_bytes(original)
    html = tree_digest(out / "html")
    reverted = build(module_book, out, trap)
    assert set(statuses(reverted).values()) == {"reused"}
    assert reverted["chapters"]["chapters/beta"]["key"] == prose["chapters"]["chapters/beta"]["key"]
    assert tree_digest(out / "html") == html


@pytest.mark.build
def test_a_rebuild_derives_nothing_again_from_a_notebook_it_has_read(module_book, tmp_path):
    """What a build takes from an executed notebook (values, rows, files, the staged page) is
    remembered under the notebook's name and the code that derives it. The probe: alpha's
    cached notebook is altered behind the build's back (which no build does); a prose edit of
    beta still shows alpha's page as first derived, and an edit of the deriving code
    (ldil2/pipeline/results.py, which no chapter imports) derives it anew, executing nothing."""
    out = tmp_path / "out"
    build(module_book, out)
    (notebook,) = (out / "cache").glob("chapters__alpha.*.ipynb")
    assert cache.products_path(notebook).is_file()
    notebook.write_text(
        notebook.read_text(encoding="utf-8").replace("ldil2.contract", "ldil2.altered"), "utf-8"
    )
    alpha = out / "html" / "chapters" / "alpha.html"
    write(module_book, "beta", "ldil2.present.format", version=2)
    trap = kernel_trap(tmp_path / "trap")
    assert set(statuses(build(module_book, out, trap)).values()) == {"reused"}
    assert "version 2" in (out / "html" / "chapters" / "beta.html").read_text(encoding="utf-8")
    page = alpha.read_text(encoding="utf-8")
    assert "ldil2.contract" in page and "ldil2.altered" not in page
    deriving = module_book.parent / "pkg" / "ldil2" / "pipeline" / "results.py"
    deriving.write_bytes(deriving.read_bytes() + b"\n# a comment\n")
    assert set(statuses(build(module_book, out, trap)).values()) == {"reused"}
    assert "ldil2.altered" in alpha.read_text(encoding="utf-8")


def _append_after(chapter: Path, line: str, code: str) -> None:
    """Add `code` to `chapter` right after its `line` (a line of one of its code cells)."""
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace(line, line + code), encoding="utf-8")


@pytest.mark.build
def test_isolation_between_chapters_in_one_build(module_book: Path, tmp_path: Path):
    """alpha leaves a variable and a matplotlib setting; beta, run after it in the same kernel
    (--jobs 1), glues what it sees."""
    _append_after(
        module_book / "chapters" / "alpha.md",
        "import ldil2.contract\n",
        "import matplotlib\nleak = 1\nmatplotlib.rcParams['font.size'] = 23.0\n",
    )
    _append_after(
        module_book / "chapters" / "beta.md",
        "import ldil2.present.format\n",
        "import matplotlib\n"
        "glue('beta_seen', f\"{'leak' in globals()} {matplotlib.rcParams['font.size']}\")\n",
    )
    out = tmp_path / "out"
    report = build(module_book, out)
    assert report["totals"]["kernels_started"] == 1
    lines = (out / "kernels.log").read_text(encoding="utf-8")
    notebook = nbformat.read(out / "stage" / "chapters" / "beta.ipynb", as_version=4)
    seen = [
        o["data"]["text/plain"]
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("metadata", {}).get("scrapbook", {}).get("name") == "beta_seen"
    ]
    assert seen == ["'False 10.0'"], lines  # matplotlib's default font size


def test_read_cached_is_nbformat_read_without_validation(tmp_path: Path):
    """Multi-line texts (stored as lists of lines) come back as one string, as nbformat reads."""
    cell = nbformat.v4.new_code_cell("a = 1\nb = 2")
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "two\nlines"})]
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert cache.read_cached(path) == nbformat.read(path, as_version=4)
    assert cache.read_cached(path).cells[0].outputs[0].data["text/plain"] == "two\nlines"


def test_parses_of_the_last_build_are_recalled_and_an_edit_is_parsed_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """remember_parsed writes the parses; a new process (an empty memory) recalls them and reads
    the chapters without parsing; an edited chapter, or an unreadable file, means parsing."""
    chapters = [shutil.copy(ROOT / "chapters" / f"{n}.md", tmp_path) for n in ("safety", "methods")]
    chapters = [Path(c) for c in chapters]
    parsed = [toc.read_chapter(md) for md in chapters]
    store = tmp_path / "cache" / "parsed-chapters.json"
    toc.remember_parsed(store, chapters)
    monkeypatch.setattr(toc, "_PARSED", {})
    toc.recall_parsed(store)
    real_reads, calls = toc.jupytext.reads, []

    def counted_reads(*args, **kwargs):
        calls.append(1)
        return real_reads(*args, **kwargs)

    monkeypatch.setattr(toc.jupytext, "reads", counted_reads)
    assert [toc.read_chapter(md) for md in chapters] == parsed and calls == []
    chapters[0].write_text(chapters[0].read_text(encoding="utf-8") + "\nNew prose.\n", "utf-8")
    assert toc.read_chapter(chapters[0]).cells[-1].source.endswith("New prose.")
    assert calls == [1]
    store.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(toc, "_PARSED", {})
    toc.recall_parsed(store)  # ignored: the chapters are parsed again
    sources = [cell.source for cell in toc.read_chapter(chapters[1]).cells]
    assert sources == [cell.source for cell in parsed[1].cells] and calls == [1, 1]


def test_the_release_check_key_covers_the_release_the_validation_code_and_the_pins(tmp_path):
    graph = cache.import_graph()
    checker = cache.reached_modules({cache.RELEASE_CHECKER}, graph)
    assert {"ldil2.contract", "ldil2.data.checks", "ldil2.data.schemas"} <= checker
    root = tmp_path / "root"
    root.mkdir()
    (root / cache.REQUIREMENTS_FILE).write_text("pandera==1\n", encoding="utf-8")
    key = cache.release_check_key("a" * 64, root, graph)
    assert key == cache.release_check_key("a" * 64, root, graph)
    assert key != cache.release_check_key("b" * 64, root, graph)
    (root / cache.REQUIREMENTS_FILE).write_text("pandera==2\n", encoding="utf-8")
    assert key != cache.release_check_key("a" * 64, root, graph)
