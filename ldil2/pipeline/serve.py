"""Live preview: ``python -m ldil2 serve`` (and ``make serve``).

Builds the book, serves the site on localhost, watches the chapters, the ``ldil2`` package, the
data release and the book's configuration (watchfiles), rebuilds on every save and reloads the
browser page. Each rebuild is an ordinary incremental build, run in a new process forked from a
warm one that has the heavy imports done (:mod:`ldil2.pipeline.warm_builder`; the package
itself is imported anew by every build, so an edit of ``ldil2`` takes effect): a prose edit
executes nothing, a module edit re-executes the chapters that reach it. A failed build prints
its error in the terminal and shows it on the page over the last good site, which keeps being
served (the build never touches ``<out>/html`` when it fails).

Every HTML page is served with a small script (:data:`LIVE_SCRIPT`) that polls
``/_ldil2/status`` (the state of the last build, its error and the version of the site) and
reloads the page when a new site is in place.
"""

from __future__ import annotations

import contextlib
import html
import json
import queue
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import watchfiles
import yaml

from ldil2.contract import FIT_STORE_ENV
from ldil2.pipeline.build import FITS_DIR
from ldil2.pipeline.cache import PACKAGE_DIR
from ldil2.pipeline.common import BuildError
from ldil2.pipeline.config import read_parameters
from ldil2.pipeline.execute import chapter_modules, kernel_env
from ldil2.pipeline.kernels import STANDING_KERNELS_ENV, StandingKernels
from ldil2.pipeline.stage import SITE_KEY_FILE
from ldil2.pipeline.toc import parse_overrides, toc_documents
from ldil2.pipeline.warm_builder import WarmBuilder, warm_imports

# Folders of the book root watched with everything under them (besides the package and the
# data release), and the files of the root itself that a build reads.
WATCHED_FOLDERS = ("chapters", "_static", "releases")
WATCHED_ROOT_SUFFIXES = (".md", ".yml", ".yaml", ".bib", ".txt", ".cff")
NOT_WATCHED_PARTS = ("__pycache__", ".ipynb_checkpoints", "_build", "_notebooks")


REQUIREMENTS_FILE = "requirements.txt"
REQUIREMENTS_NOTE = (
    f"{REQUIREMENTS_FILE} changed: the warm builder keeps the packages it imported at start; "
    "restart serve once they are installed"
)

STATUS_PATH = "/_ldil2/status"
SCRIPT_PATH = "/_ldil2/live.js"
POLL_MS = 500


# Polls the build status; reloads when the site changed; shows a failed build's error on top.
LIVE_SCRIPT = """(function () {
  var seen = null;
  function banner(status) {
    var box = document.getElementById("ldil2-build-status");
    if (status.state === "ok") { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "ldil2-build-status";
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:10000;" +
        "max-height:45vh;overflow:auto;margin:0;padding:0.8em 1.2em;font:14px/1.4 monospace;" +
        "white-space:pre-wrap;color:#fff;background:" +
        (status.state === "failed" ? "#a40000" : "#333");
      document.body.appendChild(box);
    }
    box.style.background = status.state === "failed" ? "#a40000" : "#333";
    box.textContent = status.state === "failed"
      ? "Build failed; this is the last good site.\\n\\n" + status.error
      : "Rebuilding\\u2026";
  }
  function poll() {
    fetch("STATUS_PATH", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (status) {
        if (seen !== null && status.site !== seen) { location.reload(); return; }
        seen = status.site;
        banner(status);
      }).catch(function () {}).then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
""".replace("STATUS_PATH", STATUS_PATH).replace("POLL_MS", str(POLL_MS))


NO_SITE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Ld-IL2: building</title></head>
<body><h1>No site yet</h1><p>The first build has not succeeded yet: {state}.</p>
<script src="{script}"></script></body></html>
"""


@dataclass
class Status:
    """What ``/_ldil2/status`` answers: ``state`` (building, ok, failed), the error of the last
    failed build, and ``site``: the key of the site being served (it changes when a build puts
    a new site in place: the pages reload)."""

    state: str = "building"
    error: str = ""
    site: str = ""
    builds: int = 0


def site_version(html_dir: Path) -> str:
    """The site key the build wrote (``<out>/html/.site-key``), or "" without a site."""
    path = html_dir / SITE_KEY_FILE
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


def with_live_script(page: bytes) -> bytes:
    """An HTML page with the live-reload script (:data:`LIVE_SCRIPT`) before ``</body>``."""
    tag = f'<script src="{SCRIPT_PATH}"></script>'.encode()
    index = page.rfind(b"</body>")
    return page + tag if index < 0 else page[:index] + tag + page[index:]


def handler_class(html_dir: Path, status: Callable[[], Status]) -> type[SimpleHTTPRequestHandler]:
    """A request handler serving ``html_dir`` (looked up at every request: a rebuild swaps the
    folder), with the live script in every HTML page, the status and the script itself."""

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(html_dir), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            """No access log in the terminal: it is for the build's messages."""

        def send_bytes(self, body: bytes, content_type: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == STATUS_PATH:
                self.send_bytes(json.dumps(asdict(status())).encode(), "application/json")
                return
            if path == SCRIPT_PATH:
                self.send_bytes(LIVE_SCRIPT.encode(), "text/javascript")
                return
            target = Path(self.translate_path(path))
            if target.is_dir() or path.endswith("/"):
                target = target / "index.html"
            if target.suffix == ".html" and target.is_file():
                self.send_bytes(with_live_script(target.read_bytes()), "text/html; charset=utf-8")
            elif target.suffix == ".html" and not html_dir.is_dir():
                page = NO_SITE_PAGE.format(state=html.escape(status().state), script=SCRIPT_PATH)
                self.send_bytes(page.encode(), "text/html; charset=utf-8")
            else:
                super().do_GET()

    return Handler


def watched_paths(root: Path, data_dir: Path) -> tuple[list[Path], Path]:
    """The folders watched recursively (chapters, ``_static``, ``releases``, the ``ldil2``
    package, the data release) and the root, watched without its sub-folders."""
    folders = [root / name for name in WATCHED_FOLDERS] + [PACKAGE_DIR, data_dir]
    return sorted({p for p in folders if p.is_dir()}), root


def relevant(path: Path, root: Path, out: Path) -> bool:
    """Whether a change of ``path`` calls for a rebuild: not the build's own output, caches,
    hidden or temporary files; at the root only the files a build reads (chapter-like
    ``.md``, the ``.yml`` configuration, ``.bib``, ``requirements.txt``)."""
    if path == out or out in path.parents:
        return False
    parts = path.parts
    if any(part.startswith(".") or part in NOT_WATCHED_PARTS for part in parts):
        return False
    if path.suffix in {".pyc", ".ipynb"} or path.name.endswith("~"):
        return False
    if path.parent == root:
        return path.suffix in WATCHED_ROOT_SUFFIXES
    return True


class LivePreview:
    """The serve loop: builds (each in a process forked from the warm builder,
    :class:`~ldil2.pipeline.warm_builder.WarmBuilder`), watches, rebuilds, keeps
    :class:`Status`. ``build_args`` are the arguments of
    :func:`ldil2.pipeline.build.build_command`: parameters file, overrides, output folder and
    jobs."""

    def __init__(self, root: Path, build_args: tuple[Any, ...], out: Path, data_dir: Path) -> None:
        self.root, self.build_args, self.out, self.data_dir = root, build_args, out, data_dir
        self.status = Status(site=site_version(out / "html"))
        self.lock = threading.Lock()
        self.changes: queue.Queue[set[Path]] = queue.Queue()
        self.stop = threading.Event()
        self.builder = WarmBuilder(root, warm_imports(root))
        jobs = int(build_args[3])
        chapters = [root / f"{name}.md" for name in toc_documents(root)]
        env = {**kernel_env(), FIT_STORE_ENV: str(out / FITS_DIR)}
        self.kernels = StandingKernels(root, chapter_modules(chapters), jobs, env)

    def current(self) -> Status:
        with self.lock:
            return Status(**asdict(self.status))

    def build(self) -> bool:
        """One build; its progress goes to the terminal as it comes, its errors once it ends;
        the status says building, then ok (with the new site's key) or failed (the error)."""
        with self.lock:
            self.status.state = "building"
        with tempfile.TemporaryDirectory(prefix="ldil2-serve-") as tmp:
            errors = Path(tmp) / "stderr"
            standing = {STANDING_KERNELS_ENV: self.kernels.ensure()}
            code = self.builder.build(self.build_args, errors, standing)
            text = errors.read_text(encoding="utf-8") if errors.is_file() else ""
        sys.stderr.write(text)
        ok = code == 0
        if not ok and not text.strip():
            text = f"the build process ended with status {code}; the terminal says why"
        with self.lock:
            self.status.builds += 1
            self.status.state = "ok" if ok else "failed"
            self.status.error = "" if ok else text.strip()
            self.status.site = site_version(self.out / "html")
        return ok

    def watch(self, paths: Iterable[Path], recursive: bool) -> None:
        """Put every batch of relevant changes under ``paths`` on the queue, until stopped."""
        for batch in watchfiles.watch(
            *paths, recursive=recursive, stop_event=self.stop, raise_interrupt=False
        ):
            changed = {Path(name) for _, name in batch}
            changed = {p for p in changed if relevant(p, self.root, self.out)}
            if changed:
                self.changes.put(changed)

    def rebuild_on_change(self) -> None:
        """Wait for changes; rebuild once for all changes that came in meanwhile."""
        while not self.stop.is_set():
            try:
                changed = self.changes.get(timeout=0.2)
            except queue.Empty:
                continue
            while not self.changes.empty():
                changed |= self.changes.get()
            names = ", ".join(sorted(str(p.relative_to(self.root)) for p in changed)[:5])
            print(f"[serve   ] changed: {names}; rebuilding", flush=True)
            if self.root / REQUIREMENTS_FILE in changed:
                print(f"[serve   ] {REQUIREMENTS_NOTE}", flush=True)
            ok = self.build()
            print(f"[serve   ] {'site updated' if ok else 'build failed: last good site kept'}")


@contextlib.contextmanager
def http_server(
    host: str, port: int, html_dir: Path, status: Callable[[], Status]
) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer((host, port), handler_class(html_dir, status))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def serve_command(
    params_file: Path, overrides: list[str], out: Path, jobs: int, host: str, port: int
) -> int:
    """``python -m ldil2 serve``: build, serve on ``host:port`` (0: any free port), watch and
    rebuild until interrupted (Ctrl-C); 0 when stopped, 1 if the parameters do not read."""
    root = Path.cwd()
    out = out.resolve()
    try:
        params = read_parameters(params_file)
        params.update(parse_overrides(overrides))
    except (OSError, ValueError, yaml.YAMLError, BuildError) as error:
        print(f"serve: parameters: {error}", file=sys.stderr)
        return 1
    args = (params_file, list(overrides), out, jobs)
    data_dir = Path(str(params.get("data_dir", "data")))
    data_dir = data_dir if data_dir.is_absolute() else root / data_dir
    preview = LivePreview(root, args, out, data_dir)
    folders, top = watched_paths(root, data_dir)
    with http_server(host, port, out / "html", preview.current) as server:
        print(f"[serve   ] http://{host}:{server.server_port}/ (Ctrl-C stops)", flush=True)
        watchers = [
            threading.Thread(target=preview.watch, args=(folders, True), daemon=True),
            threading.Thread(target=preview.watch, args=([top], False), daemon=True),
        ]
        for watcher in watchers:
            watcher.start()
        # SIGTERM stops serve as Ctrl-C does: the standing kernels are stopped, not orphaned
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            preview.build()
            preview.rebuild_on_change()
        except KeyboardInterrupt:
            print("[serve   ] stopped", flush=True)
        finally:
            preview.stop.set()
            preview.kernels.shutdown()
    return 0
