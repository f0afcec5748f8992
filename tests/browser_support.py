"""What every browser test shares: Debian's Chromium by path, a static server on 127.0.0.1.

Playwright never downloads a browser here: it launches the system Chromium by path, and every
host but 127.0.0.1 fails to resolve. Without Chromium a test skips, except under CI=true, where
a missing browser is a failure (.ci/run installs it).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Every host but the test server fails to resolve: the site must not need the network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail under CI=true) with the reason."""
    path = shutil.which("chromium")
    if path is None:
        reason = "no `chromium` on PATH (Debian package chromium; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on the test output."""


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """``directory`` served on 127.0.0.1 (a free port); yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def chromium_context(profile: Path, viewport: dict | None = None) -> Iterator[BrowserContext]:
    """One headless Chromium context with the fresh user-data folder ``profile``."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser_context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=viewport or DESKTOP,
        )
        try:
            yield browser_context
        finally:
            browser_context.close()
