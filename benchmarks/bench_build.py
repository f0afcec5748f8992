"""Benchmark of the book build (issue 2 item 8), in one run on one machine.

(a) our cold build; (b) the baseline: ``jupyter-book build`` with myst-nb executing the same
chapters itself (``execute_notebooks: force``); (c) a rebuild with nothing changed; (d) a rebuild
after changing one value of adverse_events.csv; (e) a cold build on a release 100 times larger
(2,350 participants per arm, from the simulator). Prints the times, the ratios against the
targets and the heaviest page of the built site.

Run from the repository root: ``.venv/bin/python benchmarks/bench_build.py [--jobs N]``.
It works on a snapshot of the book (package, chapters, data) in a temporary folder, imported
through PYTHONPATH by the build and its kernels, so edits to the working tree during the run
cannot change the cache keys; the repository is not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from ldil2 import contract
from ldil2.pipeline.execute import THREAD_ENV
from ldil2.pipeline.site import heaviest_page
from ldil2.pipeline.toc import toc_documents

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"a/b": 0.6, "c/a": 0.1, "d/a": 0.4, "e/a": 3.0}
BOOK_FILES = ("_config.yml", "_toc.yml", "parameters.yml", "requirements.txt", "index.md")
NOT_SNAPSHOT = (".venv", ".git", "_build", "_notebooks", "node_modules", "*.egg-info")
NOT_SNAPSHOT += ("__pycache__",)


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


def change_one_adverse_event(data: Path) -> None:
    """Change the grade of the first adverse event (1 <-> 2): a valid, real content change."""
    path = data / contract.ADVERSE_EVENTS
    lines = path.read_text(encoding="utf-8").splitlines()
    column = lines[0].split(",").index("grade")
    row = lines[1].split(",")
    row[column] = "2" if row[column] == "1" else "1"
    path.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-large", action="store_true", help="skip (e)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    snapshot = shutil.copytree(ROOT, tmp / "book", ignore=shutil.ignore_patterns(*NOT_SNAPSHOT))
    data = snapshot / "data"
    times: dict[str, float] = {}
    times["a"] = build(snapshot, tmp / "ours", data, args.jobs, "a")
    print(f"(a) cold build                 {times['a']:7.1f} s", flush=True)
    shutil.copy(tmp / "ours" / "report.json", tmp / "report-a.json")
    tree = baseline_tree(tmp, snapshot, data)
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    baseline = [jb, "build", str(tree), "--path-output", str(tmp / "jb")]
    times["b"] = timed(baseline, tree, snapshot, "b")
    print(f"(b) jupyter-book executing     {times['b']:7.1f} s", flush=True)
    times["c"] = build(snapshot, tmp / "ours", data, args.jobs, "c")
    print(f"(c) no-op rebuild              {times['c']:7.1f} s", flush=True)
    change_one_adverse_event(data)
    times["d"] = build(snapshot, tmp / "ours", data, args.jobs, "d")
    print(f"(d) adverse_events.csv changed {times['d']:7.1f} s", flush=True)
    if not args.skip_large:
        large = tmp / "large"
        simulate = [sys.executable, "-m", "ldil2", "simulate", "--per-arm", "2350"]
        scenario = ["--scenario", str(snapshot / "data" / "scenario.yml")]
        seconds = timed([*simulate, *scenario, "--out", str(large)], snapshot, snapshot)
        print(f"    (simulating the large release: {seconds:.1f} s, not counted)", flush=True)
        times["e"] = build(snapshot, tmp / "large-out", large, args.jobs, "e")
        print(f"(e) cold build, 100x release   {times['e']:7.1f} s", flush=True)
    for label, seconds in sorted(CPU.items()):
        if label:
            print(f"    CPU time of ({label}): {seconds:7.1f} s", flush=True)
    print(f"    load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("ratios of wall times (target):")
    for ratio, target in TARGETS.items():
        top, bottom = ratio.split("/")
        if top in times:
            value = times[top] / times[bottom]
            verdict = "ok" if value <= target else "MISSED"
            print(f"  {ratio} = {value:5.2f}  (<= {target})  {verdict}")
    for label, report in (("a", tmp / "report-a.json"), ("e", tmp / "large-out" / "report.json")):
        if label in times:
            print(f"slowest chapters of ({label}): {slowest(report)}")
    page, size = heaviest_page(tmp / "ours" / "html")
    print(f"heaviest page: {page} {size / 1000:.0f} KB (with its images)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
