"""Benchmark of the book build and the author's loop (issue 14 item 5), in one run on one machine.

(a) our cold build; (b) the baseline: ``jupyter-book build`` with myst-nb executing the same
chapters itself (``execute_notebooks: force``); (c) a rebuild after a prose edit of
chapters/safety.md (a sentence added): nothing may execute and no kernel may start; (d) a
rebuild after a comment added to a module of ``ldil2`` that only the safety chapter reaches
(found from the import graph): only that chapter may execute; (e) the rebuild after reverting
that edit: nothing may execute (the earlier outputs are still cached); (f) a cold build on a
release 100 times larger (2,350 participants per arm, from the simulator).

(c), (d) and (e) are the author's loop: ``python -m ldil2 serve`` runs on the snapshot and each
is timed from the save of the edit to the new site in place (the server's status); (c) is the
median of three prose edits (a second or two each, where a few hundred milliseconds of noise
decide the ratio), each value printed. (c1), (d1)
and (e1) are the same edits built by a new ``python -m ldil2 build`` each, without serve.
Prints the times,
the ratios against their targets, the load average at the start and the end, and the heaviest
page of the built site; exits 1 if an expectation on what executes fails.

Run from the repository root: ``.venv/bin/python benchmarks/bench_build.py [--jobs N]``.
It works on a snapshot of the book (package, chapters, data) in a temporary folder, imported
through PYTHONPATH by the build and its kernels, so edits to the working tree during the run
cannot change the cache keys; the repository is not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

from ldil2.pipeline import cache
from ldil2.pipeline.execute import THREAD_ENV
from ldil2.pipeline.site import heaviest_page
from ldil2.pipeline.toc import read_chapter, toc_documents

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"a/b": 0.35, "c/a": 0.1, "d/a": 0.3, "f/a": 2.5, "c1/a": 0.1, "d1/a": 0.3}
BOOK_FILES = ("_config.yml", "_toc.yml", "parameters.yml", "requirements.txt", "index.md")
NOT_SNAPSHOT = (".venv", ".git", "_build", "_notebooks", "node_modules", "*.egg-info")
NOT_SNAPSHOT += ("__pycache__",)
EDITED_CHAPTER = "chapters/safety"
PROSE_EDITS = 3  # (c) is the median of this many prose edits, one after the other (noise)


CPU: dict[str, float] = {}  # CPU seconds (user + system) of each measurement, all processes


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, snapshot: Path, label: str = "") -> float:
    """Wall time of ``command`` run on ``snapshot``; exits with its output if it fails. The CPU
    time of the command and every process it started (kernels too) goes to ``CPU[label]``."""
    env = dict(os.environ, **THREAD_ENV, PYTHONPATH=str(snapshot))
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    CPU[label] = _children_cpu() - cpu
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds


def build(snapshot: Path, out: Path, data: Path, jobs: int, label: str) -> float:
    command = [sys.executable, "-m", "ldil2", "build", "--out", str(out), "--jobs", str(jobs)]
    return timed([*command, "-p", f"data_dir={data}"], snapshot, snapshot, label)


def baseline_tree(tmp: Path, snapshot: Path, data: Path) -> Path:
    """A copy of the book whose _config.yml lets myst-nb execute the .md chapters itself."""
    tree = tmp / "baseline"
    (tree / "chapters").mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy(snapshot / name, tree / name)
    for name in toc_documents(snapshot)[1:]:
        shutil.copy(snapshot / f"{name}.md", tree / f"{name}.md")
    shutil.copytree(snapshot / "_static", tree / "_static")
    config = yaml.safe_load((tree / "_config.yml").read_text(encoding="utf-8"))
    config["execute"] = {"execute_notebooks": "force", "timeout": 1800}
    (tree / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    params = yaml.safe_load((tree / "parameters.yml").read_text(encoding="utf-8"))
    params["data_dir"] = str(data)
    (tree / "parameters.yml").write_text(yaml.safe_dump(params), encoding="utf-8")
    return tree


def slowest(report: Path, count: int = 4) -> str:
    """The ``count`` chapters of a build report that took longest, with their seconds."""
    chapters = json.loads(report.read_text(encoding="utf-8"))["chapters"]
    ranked = sorted(chapters.items(), key=lambda item: -item[1]["seconds"])[:count]
    return ", ".join(f"{name} {entry['seconds']:.1f} s" for name, entry in ranked)


def executed(out: Path) -> set[str]:
    """The documents a build executed (its report)."""
    chapters = json.loads((out / "report.json").read_text(encoding="utf-8"))["chapters"]
    return {name for name, entry in chapters.items() if entry["status"] == "executed"}


def kernels_started(out: Path) -> int:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))["totals"][
        "kernels_started"
    ]


def add_prose(snapshot: Path, sentence: str) -> None:
    """Add ``sentence`` after the title of the edited chapter."""
    path = snapshot / f"{EDITED_CHAPTER}.md"
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("# "))
    path.write_text(text.replace(title, f"{title}\n\n{sentence}", 1), encoding="utf-8")


COMMENT = b"\n# a comment added by the benchmark\n"


class LiveServe:
    """``python -m ldil2 serve`` on the snapshot (building into ``out``), as an author runs it:
    :meth:`rebuild_after` makes an edit and times it from the save to the new site in place
    (the server's status says the next build is done)."""

    def __init__(self, snapshot: Path, out: Path, data: Path, jobs: int) -> None:
        self.command = [sys.executable, "-m", "ldil2", "serve", "--port", "0", "--out", str(out)]
        self.command += ["--jobs", str(jobs), "-p", f"data_dir={data}"]
        self.snapshot, self.log = snapshot, out.parent / "serve.log"

    def __enter__(self) -> LiveServe:
        env = dict(os.environ, **THREAD_ENV, PYTHONPATH=str(self.snapshot))
        with open(self.log, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.snapshot, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 600
        while not (found := re.findall(r"http://127\.0\.0\.1:\d+/", self._log())):
            self._alive(deadline)
            time.sleep(0.05)
        self.url = found[0]
        self._wait_for_build(0, deadline)  # the first build (nothing changed since (a))
        return self

    def __exit__(self, *exc: object) -> None:
        # SIGTERM, not Ctrl-C's SIGINT: a benchmark started in the background of a shell runs
        # with SIGINT ignored, and so does its serve (the fork server ends with its parent)
        self.process.terminate()
        self.process.wait(timeout=60)

    def _log(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def _alive(self, deadline: float) -> None:
        if self.process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"serve stopped or hung:\n{self._log()[-3000:]}")

    def status(self) -> dict:
        with urllib.request.urlopen(self.url + "_ldil2/status", timeout=10) as answer:
            return json.load(answer)

    def _wait_for_build(self, done: int, deadline: float) -> None:
        while (status := self.status())["builds"] <= done or status["state"] == "building":
            self._alive(deadline)
            time.sleep(0.02)
        if status["state"] != "ok":
            sys.exit(f"a build under serve failed: {status['error']}")

    def rebuild_after(self, edit: Callable[[], object]) -> float:
        done = self.status()["builds"]
        start = time.perf_counter()
        edit()
        self._wait_for_build(done, time.monotonic() + 600)
        return time.perf_counter() - start


def module_of_one_chapter(snapshot: Path, chapter: str) -> Path:
    """A module of ``ldil2`` that only ``chapter`` reaches (the import graph), in the snapshot;
    the chapter's own book module when it qualifies."""
    graph = cache.import_graph()
    reached = {
        name: set(cache.code_files(read_chapter(snapshot / f"{name}.md"), graph))
        for name in toc_documents(snapshot)
    }
    others = set().union(*(files for name, files in reached.items() if name != chapter))
    only = sorted(p for p in reached[chapter] - others if p.suffix == ".py")
    if not only:
        sys.exit(f"no module of ldil2 is reached by {chapter} alone")
    book = [p for p in only if p.parent.name == "book"]
    return snapshot / (book or only)[0].relative_to(cache.PACKAGE_DIR.parent)


def check(condition: bool, message: str, failures: list[str]) -> None:
    print(f"    {'ok' if condition else 'FAILED'}: {message}", flush=True)
    if not condition:
        failures.append(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-large", action="store_true", help="skip (f)")
    args = parser.parse_args()
    load_start = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    snapshot = shutil.copytree(ROOT, tmp / "book", ignore=shutil.ignore_patterns(*NOT_SNAPSHOT))
    data = snapshot / "data"
    ours = tmp / "ours"
    times: dict[str, float] = {}
    failures: list[str] = []
    times["a"] = build(snapshot, ours, data, args.jobs, "a")
    print(f"(a) cold build                 {times['a']:7.1f} s", flush=True)
    shutil.copy(ours / "report.json", tmp / "report-a.json")
    tree = baseline_tree(tmp, snapshot, data)
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    baseline = [jb, "build", str(tree), "--path-output", str(tmp / "jb")]
    times["b"] = timed(baseline, tree, snapshot, "b")
    print(f"(b) jupyter-book executing     {times['b']:7.1f} s", flush=True)
    module = module_of_one_chapter(snapshot, EDITED_CHAPTER)
    original = module.read_bytes()
    prose = snapshot / f"{EDITED_CHAPTER}.md"
    with LiveServe(snapshot, ours, data, args.jobs) as live:
        edits = []
        for number in range(1, PROSE_EDITS + 1):
            sentence = f"Sentence {number} added."
            edits.append(live.rebuild_after(lambda s=sentence: add_prose(snapshot, s)))
            check(not executed(ours) and kernels_started(ours) == 0, "(c) nothing ran", failures)
            page = (ours / "html" / f"{EDITED_CHAPTER}.html").read_text(encoding="utf-8")
            check(sentence in page, f"(c) the page shows sentence {number}", failures)
        times["c"] = statistics.median(edits)
        each = ", ".join(f"{seconds:.1f}" for seconds in edits)
        print(f"(c) prose edit of {EDITED_CHAPTER}, serve  {times['c']:7.1f} s (median of {each})")
        times["d"] = live.rebuild_after(lambda: module.write_bytes(original + COMMENT))
        print(f"(d) comment in {module.relative_to(snapshot)}, serve  {times['d']:7.1f} s")
        check(executed(ours) == {EDITED_CHAPTER}, f"(d) only {EDITED_CHAPTER} executed", failures)
        times["e"] = live.rebuild_after(lambda: module.write_bytes(original))
        print(f"(e) that edit reverted, serve   {times['e']:7.1f} s", flush=True)
        check(not executed(ours) and kernels_started(ours) == 0, "(e) nothing executed", failures)
    # the same three edits, each built by a new `python -m ldil2 build` (no serve running)
    add_prose(snapshot, "Another sentence added.")
    times["c1"] = build(snapshot, ours, data, args.jobs, "c1")
    print(f"(c1) prose edit, one-shot build  {times['c1']:7.1f} s", flush=True)
    check(not executed(ours) and kernels_started(ours) == 0, "(c1) nothing executed", failures)
    check("Another sentence" in prose.read_text(encoding="utf-8"), "(c1) edited", failures)
    module.write_bytes(original + COMMENT.replace(b"a comment", b"another comment"))
    times["d1"] = build(snapshot, ours, data, args.jobs, "d1")
    print(f"(d1) module comment, one-shot   {times['d1']:7.1f} s", flush=True)
    check(executed(ours) == {EDITED_CHAPTER}, f"(d1) only {EDITED_CHAPTER} executed", failures)
    module.write_bytes(original)
    times["e1"] = build(snapshot, ours, data, args.jobs, "e1")
    print(f"(e1) reverted, one-shot         {times['e1']:7.1f} s", flush=True)
    check(not executed(ours) and kernels_started(ours) == 0, "(e1) nothing executed", failures)
    if not args.skip_large:
        large = tmp / "large"
        simulate = [sys.executable, "-m", "ldil2", "simulate", "--per-arm", "2350"]
        scenario = ["--scenario", str(snapshot / "data" / "scenario.yml")]
        seconds = timed([*simulate, *scenario, "--out", str(large)], snapshot, snapshot)
        print(f"    (simulating the large release: {seconds:.1f} s, not counted)", flush=True)
        times["f"] = build(snapshot, tmp / "large-out", large, args.jobs, "f")
        print(f"(f) cold build, 100x release   {times['f']:7.1f} s", flush=True)
    for label, seconds in sorted(CPU.items()):
        if label:
            print(f"    CPU time of ({label}): {seconds:7.1f} s", flush=True)
    cores = os.cpu_count()
    print(f"    load average (1, 5, 15 min) at the start: {load_start} on {cores} cores")
    print(f"    load average (1, 5, 15 min) at the end:   {os.getloadavg()} on {cores} cores")
    print("ratios of wall times (target):")
    for ratio, target in TARGETS.items():
        top, bottom = ratio.split("/")
        if top in times:
            value = times[top] / times[bottom]
            verdict = "ok" if value <= target else "MISSED"
            print(f"  {ratio} = {value:5.2f}  (<= {target})  {verdict}")
    for label, report in (("a", tmp / "report-a.json"), ("f", tmp / "large-out" / "report.json")):
        if label in times:
            print(f"slowest chapters of ({label}): {slowest(report)}")
    page_name, size = heaviest_page(ours / "html")
    print(f"heaviest page: {page_name} {size / 1000:.0f} KB (with its images)")
    shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit("expectations failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
