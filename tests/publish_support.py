"""What the tests of publishing share: hand-made builds, a local bare git repository standing in
for GitHub, ``python -m ldil2 deploy`` run as the workflow runs it, and the tiny book of the
earlier data release."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from results_support import write_results

from ldil2 import contract
from ldil2.pipeline import edition as ed
from ldil2.pipeline import publish as pub
from ldil2.pipeline.earlier import EARLIER_RELEASE, cut_release
from ldil2.pipeline.results import RESULTS_FILE
from ldil2.results import format as ard_format

ROOT = Path(__file__).resolve().parents[1]
OLDER, NEWER = "2026.08.1", "2026.11.1"
DATES = {OLDER: "2026-08-17", NEWER: "2026-11-16"}
NUMBERS = {OLDER: 1, NEWER: 2}


def make_build(
    tmp: Path, version: str, body: str = "first", released: str | None = None, line: str = ""
) -> Path:
    """A successful build of release ``version`` with two pages (``index``, ``chapters/a``),
    as ``python -m ldil2 build`` leaves it: ``report.json``, ``stage/results.json`` (with
    ``line`` as the landing page's conclusions line), ``results/ard.json`` and ``html/`` with
    ``edition.json``."""
    out = tmp / f"build-{version}-{body}"
    html = out / "html"
    (html / "chapters").mkdir(parents=True)
    (html / "_static").mkdir()
    (html / "_static" / "style.css").write_text("p {}", encoding="utf-8")
    (html / "index.html").write_text(
        f'<html><head><title>Home</title><link href="_static/style.css"></head><body>'
        f'<h1>Home</h1><a href="chapters/a.html">A</a><p>{body}</p></body></html>',
        encoding="utf-8",
    )
    (html / "chapters" / "a.html").write_text(
        "<html><head><title>A</title></head><body><h1>A</h1>"
        '<a href="../index.html">home</a></body></html>',
        encoding="utf-8",
    )
    edition = ed.Edition(
        title="A living book",
        authors="The authors",
        edition=NUMBERS.get(version, 3),
        version=version,
        released=DATES.get(version, "2027-01-01") if released is None else released,
        data_sha256=hashlib.sha256(version.encode()).hexdigest(),
        commit="0" * 40,
        simulated=True,
        pages=("index", "chapters/a"),
    )
    (html / ed.EDITION_FILE).write_text(edition.to_json(), encoding="utf-8")
    (html / ".site-key").write_text(body, encoding="utf-8")
    report = {"status": "ok", "data": {"version": version}, "parameters": {}}
    (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
    values = {pub.CONCLUSIONS_GLUE: line} if line else {}
    (out / "stage").mkdir()
    write_results(out / "stage" / RESULTS_FILE, values, [])
    (out / "results").mkdir()
    (out / "results" / "ard.json").write_text(ard_format.to_json([]), encoding="utf-8")
    return out


def git(*args: str, cwd: Path) -> str:
    """``git ARGS`` in ``cwd`` with a test identity; its standard output (raises on failure)."""
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org")
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout


def bare_remote(tmp: Path) -> Path:
    """A bare repository standing in for GitHub, holding one commit on ``main``."""
    remote = tmp / "remote.git"
    git("init", "--quiet", "--bare", "-b", "main", str(remote), cwd=tmp)
    seed = tmp / "seed"
    git("init", "--quiet", "-b", "main", str(seed), cwd=tmp)
    git("commit", "--quiet", "--allow-empty", "-m", "the book's repository", cwd=seed)
    git("push", "--quiet", str(remote), "main", cwd=seed)
    shutil.rmtree(seed)
    return remote


def deploy_run(remote: Path, build: Path, work: Path) -> subprocess.CompletedProcess:
    """One run of the workflow's deploy job: a fresh clone of ``remote`` (actions/checkout),
    then ``python -m ldil2 deploy`` into ``<work>/_site``; returns the finished process."""
    work.mkdir(parents=True)
    git("clone", "--quiet", str(remote), "checkout", cwd=work)
    command = [sys.executable, "-m", "ldil2", "deploy", "--site", str(work / "_site")]
    return subprocess.run(
        [*command, "--build", str(build)],
        cwd=work / "checkout",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def archive_clone(remote: Path, dest: Path) -> Path:
    """The ``gh-pages`` branch of ``remote`` as it is pushed, cloned into ``dest``."""
    git("clone", "--quiet", "--branch", "gh-pages", str(remote), str(dest), cwd=dest.parent)
    return dest


EARLIER_PAGES = {
    "index": """
# The earlier edition

```{code-cell} ipython3
:tags: [parameters]

params = None
```

Data release {{ release_download }} (sha256 {{ release_sha256 }}); see {doc}`chapters/alpha`.
""",
    "chapters/alpha": """
# Alpha

```{code-cell} ipython3
:tags: [parameters]

params = None
```

Back to the {doc}`landing page <../index>`.
""",
}
"""The two pages of the earlier edition's tiny book (:func:`write_earlier_book`)."""


def chapter_header(reads: str) -> str:
    """The front matter every chapter shares (style rule 8), taken from the book's CONSORT
    chapter, with ``ldil2: reads: [reads]``."""
    text = (ROOT / "chapters" / "consort.md").read_text(encoding="utf-8")
    header = "---\n" + text.split("---\n", 2)[1] + "---\n"
    return re.sub(r"reads: \[.*\]", f"reads: [{reads}]", header)


def write_earlier_book(root: Path) -> Path:
    """Make the tiny book at ``root`` (``conftest.tiny_book_root`` with the toc entry
    ``chapters/alpha``: the book's own configuration and static files) a book of the earlier
    data release of ``ldil2.pipeline.earlier``, cut from the shipped data. Returns ``root``."""
    cut_release(ROOT / "data", root / "data", **EARLIER_RELEASE)
    for name, body in EARLIER_PAGES.items():
        (root / f"{name}.md").write_text(chapter_header(contract.SUBJECTS) + body, "utf-8")
    return root
