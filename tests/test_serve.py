"""Tests of the live preview (``python -m ldil2 serve``, ldil2.pipeline.serve).

The browser test serves a tiny book (tests/test_build.py's ``tiny_book``), opens a chapter in
Debian's Chromium, saves a prose edit and waits for the page to reload by itself with the new
text; then saves a chapter whose cell fails and checks that the error is in the terminal and on
the page while the last good site is still the one served; then fixes it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import chromium_context
from test_build import tiny_book  # noqa: F401  (the fixture)

from ldil2.pipeline import execute, serve

# ---------------------------------------------------------------------------------------------
# Fast unit tests
# ---------------------------------------------------------------------------------------------


def test_live_script_goes_before_the_end_of_the_body():
    page = serve.with_live_script(b"<html><body><p>x</p></body></html>")
    assert page == (b'<html><body><p>x</p><script src="/_ldil2/live.js"></script></body></html>')


def test_only_sources_of_the_build_trigger_a_rebuild(tmp_path: Path):
    root, out = tmp_path, tmp_path / "_build"
    assert serve.relevant(root / "chapters" / "safety.md", root, out)
    assert serve.relevant(root / "_config.yml", root, out)
    assert serve.relevant(root / "data" / "labs.csv", root, out)
    assert not serve.relevant(out / "html" / "index.html", root, out)
    assert not serve.relevant(root / "ldil2" / "__pycache__" / "x.pyc", root, out)
    assert not serve.relevant(root / "chapters" / ".safety.md.swp", root, out)
    assert not serve.relevant(root / "notes.log", root, out)


# ---------------------------------------------------------------------------------------------
# The browser test
# ---------------------------------------------------------------------------------------------


def status(base: str) -> dict:
    with urllib.request.urlopen(base + serve.STATUS_PATH.lstrip("/"), timeout=10) as response:
        return json.load(response)


def wait_for(condition, what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.build
@pytest.mark.browser
def test_serve_rebuilds_on_save_and_reloads_the_page(tiny_book: Path, tmp_path: Path):  # noqa: F811
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as terminal:
        process = subprocess.Popen(
            [sys.executable, "-m", "ldil2", "serve", "--port", "0", "--out", str(tmp_path / "o")],
            cwd=tiny_book,
            env=dict(os.environ, **execute.THREAD_ENV),
            stdout=terminal,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        found: list[str] = []

        def url() -> bool:
            found[:] = re.findall(r"http://127\.0\.0\.1:\d+/", log.read_text(encoding="utf-8"))
            return bool(found)

        wait_for(url, "the server's address")
        base = found[0]
        wait_for(lambda: status(base)["state"] == "ok", "the first build")
        with chromium_context(tmp_path / "profile") as browser:
            page = browser.new_page()
            page.goto(base + "chapters/alpha.html")
            assert "rows in subjects.csv" in page.inner_text("main")
            alpha = tiny_book / "chapters" / "alpha.md"
            good = alpha.read_text(encoding="utf-8")
            # a prose edit: the page reloads by itself and shows it
            alpha.write_text(good.replace("# alpha", "# alpha\n\nA freshly saved sentence."))
            page.wait_for_function(
                "document.body.innerText.includes('A freshly saved sentence')", timeout=240_000
            )
            report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
            assert report["totals"]["kernels_started"] == 0  # prose: nothing executed
            # a failing cell: the error in the terminal and on the page, the last site kept
            alpha.write_text(good + "\n```{code-cell} ipython3\n1 / 0\n```\n", encoding="utf-8")
            page.wait_for_selector("#ldil2-build-status", timeout=240_000)
            page.wait_for_function(
                "document.getElementById('ldil2-build-status').innerText"
                ".includes('ZeroDivisionError')",
                timeout=240_000,
            )
            assert "ZeroDivisionError" in log.read_text(encoding="utf-8")
            assert "A freshly saved sentence" in page.inner_text("main")
            page.reload()
            assert "A freshly saved sentence" in page.inner_text("main")
            # fixed: the error goes away with the new site
            alpha.write_text(good.replace("# alpha", "# alpha\n\nFixed again."))
            page.wait_for_function(
                "document.body.innerText.includes('Fixed again')", timeout=240_000
            )
            assert page.query_selector("#ldil2-build-status") is None
            # a code edit executes the chapter on serve's standing kernel: no kernel started
            code = "\n```{code-cell} ipython3\n6 * 7\n```\n"
            alpha.write_text(good.replace("# alpha", "# alpha\n\nCode edited.") + code)
            page.wait_for_function(
                "document.body.innerText.includes('Code edited')", timeout=240_000
            )
            report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
            assert report["chapters"]["chapters/alpha"]["status"] == "executed"
            assert report["totals"]["kernels_started"] == 0
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert "stopped" in log.read_text(encoding="utf-8")


def test_without_a_site_the_pages_say_so_and_wait(tmp_path: Path):
    """Before the first good build there is no site: every page is a placeholder with the live
    script (it reloads when the site appears), and the status tells the state."""
    state = serve.Status(state="failed", error="chapter x: cell 2 raised ZeroDivisionError")
    with serve.http_server("127.0.0.1", 0, tmp_path / "html", lambda: state) as server:
        base = f"http://127.0.0.1:{server.server_port}/"
        with urllib.request.urlopen(base, timeout=10) as response:
            page = response.read().decode()
        assert "No site yet" in page and serve.SCRIPT_PATH in page and "failed" in page
        assert status(base)["error"] == state.error
