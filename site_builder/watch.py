"""Watch mode: build, serve, and rebuild on every save; keeps running (and serving the last good build) on errors.

Three threads besides the caller's: watchdog's observer records changed paths in ``PendingChanges``; one
rebuild thread waits until saves stop for a moment, then builds and publishes the outcome to the dev server's
``ReloadHub``; the dev server answers requests. Only the rebuild thread builds, so builds never overlap.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from . import assets, changes, config, render
from .build import build
from .cache import cache_dir_for, load_cache, save_cache
from .devserver import DevServer, ReloadHub
from .errors import BuildFailed, SiteError
from .workers import default_workers

QUIET_SECONDS = 0.05
EXIT_OK, EXIT_CANNOT_SERVE = 0, 2

# Editor and tool droppings: vim swap files and its 4913 write test, emacs lock and autosave files, backups,
# JetBrains safe-write files, partial downloads.
_TEMP_FILE = re.compile(
    r"^(\.#.*|#.*#|4913|\.DS_Store|.*~|.*\.sw[a-p]|.*\.swpx|.*\.tmp|.*\.part|.*\.kate-swp|.*___jb_\w+___)$"
)
_SKIPPED_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", ".cache"}
_IGNORED_EVENTS = {"opened", "closed_no_write"}
Echo = Callable[[str, bool], None]  # (line, is_error)


def serve(content_dir: Path, out_dir: Path, *, host: str, port: int, drafts: bool, echo: Echo) -> int:
    """Build, serve ``out_dir`` on host:port with live reload, and rebuild on changes until Ctrl-C.

    ``echo(line, is_error)`` shows each line to the editor (the CLI prints them).
    """
    try:
        session = WatchSession(content_dir, out_dir, host=host, port=port, drafts=drafts, echo=echo)
    except OSError as exc:
        echo(f"error: cannot serve on {host}:{port}: {exc.strerror or exc}", True)
        return EXIT_CANNOT_SERVE
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        session.start()
        echo(f"Serving {session.url} and watching {content_dir}/ (Ctrl-C stops)", False)
        while True:
            time.sleep(3600)  # Ctrl-C interrupts the sleep
    except KeyboardInterrupt:
        echo("Stopping.", False)
    finally:
        session.stop()
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops as cleanly as Ctrl-C


class WatchSession:
    """The dev server, the file observer and the rebuild thread, started and stopped together."""

    def __init__(
        self,
        content_dir: Path,
        out_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        drafts: bool = False,
        echo: Echo,
        quiet: float = QUIET_SECONDS,
        theme_dirs: Iterable[Path] = (render.THEME_TEMPLATES, assets.THEME_STATIC),
    ) -> None:
        self.hub = ReloadHub()
        self.server = DevServer((host, port), out_dir, self.hub)
        self.pending = PendingChanges(quiet)
        self.rebuilder = Rebuilder(content_dir, out_dir, drafts, self.hub, self.server, echo)
        self._observer = Observer()
        ignore = Ignore(content_dir, out_dir)
        for folder in (content_dir, *theme_dirs):
            handler = _EventHandler(self.pending, ignore)
            self._observer.schedule(handler, str(folder.resolve()), recursive=True)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        """Build once, then start watching and serving; returns at once."""
        # No other thread runs yet, so the first (possibly large) build may fork worker processes.
        self.rebuilder.rebuild({}, workers=default_workers())
        self._observer.start()  # watches are in place when this returns
        self._spawn(self._rebuild_loop, "folio-rebuild")
        self._spawn(self.server.serve_forever, "folio-server")

    def stop(self) -> None:
        """Stop every thread and close the server; also cleans up after a start() that failed halfway."""
        self.pending.close()
        self.hub.close()  # ends the event streams, whose handler threads server_close() waits for
        if self._threads:
            self.server.shutdown()
        self.server.server_close()
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()
        for thread in self._threads:
            thread.join()
        self.rebuilder.save_cache()

    def _spawn(self, target: Callable[[], object], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _rebuild_loop(self) -> None:
        while (batch := self.pending.next_batch()) is not None:
            self.rebuilder.rebuild(batch)


class PendingChanges:
    """Changed paths collected until no new one arrives for ``quiet`` seconds: one burst, one rebuild."""

    def __init__(self, quiet: float) -> None:
        self._quiet = quiet
        self._cond = threading.Condition()
        self._paths: dict[str, str] = {}
        self._last = 0.0
        self._closed = False

    def add(self, path: str, kind: str) -> None:
        with self._cond:
            self._paths[path] = kind
            self._last = time.monotonic()
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def next_batch(self) -> dict[str, str] | None:
        """Block until a burst of changes is over and return it (path -> kind); None once closed."""
        with self._cond:
            while not self._closed:
                wait = self._last + self._quiet - time.monotonic() if self._paths else None
                if wait is not None and wait <= 0:
                    batch, self._paths = self._paths, {}
                    return batch
                self._cond.wait(wait)
            return None


class Ignore:
    """Decides which paths matter and what kind of change each is: config, template, static, content, theme."""

    def __init__(self, content_dir: Path, out_dir: Path) -> None:
        self.content = content_dir.resolve()
        self.out = out_dir.resolve()

    def kind(self, path: Path) -> str | None:
        """The kind of change a path is, or None when it is not a source of the site."""
        if _TEMP_FILE.match(path.name) or _SKIPPED_DIRS.intersection(path.parts):
            return None
        if path == self.out or self.out in path.parents or self._is_staging(path):
            return None
        if self.content in path.parents:
            return _content_kind(path.relative_to(self.content))
        for folder in (render.THEME_TEMPLATES, assets.THEME_STATIC):
            if folder.resolve() in path.parents:
                return "theme"
        return None

    def _is_staging(self, path: Path) -> bool:
        # output.write_all builds the new site next to the output folder, then swaps it in.
        staging = (f".{self.out.name}.new-", f".{self.out.name}.old-")
        return any(part.startswith(staging) for part in path.parts)


def _content_kind(rel: Path) -> str | None:
    if rel.as_posix() == "site.toml":
        return "config"
    if rel.parts[0] == "templates" and len(rel.parts) > 1:
        return "template"
    if rel.parts[0] == "static" and len(rel.parts) > 1:
        return "static"
    if rel.suffix == ".md" or not rel.suffix:  # no suffix: a folder of articles created, moved or removed
        return "content"
    return "static"  # a file beside the articles (an image of a page bundle) is copied as it is


class _EventHandler(FileSystemEventHandler):
    def __init__(self, pending: PendingChanges, ignore: Ignore) -> None:
        self._pending = pending
        self._ignore = ignore

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS or (event.is_directory and event.event_type == "modified"):
            return
        for raw in (event.src_path, event.dest_path):
            if raw:
                path = Path(os.fsdecode(raw)).absolute()
                kind = self._ignore.kind(path)
                if kind:
                    self._pending.add(path.as_posix(), kind)


class Rebuilder:
    """Runs one build, compares the output with the last one, tells the terminal and the open pages."""

    def __init__(
        self,
        content_dir: Path,
        out_dir: Path,
        drafts: bool,
        hub: ReloadHub,
        server: DevServer,
        echo: Echo,
    ) -> None:
        self.content_dir = content_dir
        self.out_dir = out_dir
        self.drafts = drafts
        self.hub = hub
        self.server = server
        self.echo = echo
        self._stamps: dict[str, changes.Stamp] = {}
        # One cache for the whole session, starting from the one `make build` left: a save re-parses and
        # re-renders only what it affects, and a large site starts in seconds.
        self._cache = load_cache(cache_dir_for(out_dir))
        if out_dir.is_dir():
            self._stamps = changes.snapshot(out_dir, {})

    def save_cache(self) -> None:
        """Leave the session's cache for the next build or watch session."""
        save_cache(self._cache, cache_dir_for(self.out_dir))

    def rebuild(self, batch: dict[str, str], workers: int = 1) -> None:
        """Build once for a burst of changes (an empty one for the first build); never raises on content errors."""
        if "theme" in batch.values():
            assets.reload_theme()  # the theme's CSS and JS are read once per process
        started = time.perf_counter()
        try:
            result = build(
                self.content_dir,
                self.out_dir,
                drafts=self.drafts,
                search=False,
                cache=self._cache,
                in_place=True,
                workers=workers,
            )
        except BuildFailed as failed:
            return self._failed([str(error) for error in failed.errors])
        except Exception:
            # A bug, not a content error: keep its traceback, and keep watching.
            self.echo(traceback.format_exc().rstrip(), True)
            return self._failed(
                [f"internal error: {traceback.format_exc(limit=0).strip()} (see the terminal)"]
            )
        # An in-place build names what it wrote: look at those files only, not at every file of a large site.
        if result.touched is None:
            stamps = changes.snapshot(self.out_dir, self._stamps)
        else:
            stamps = changes.restamp(self.out_dir, self._stamps, result.touched)
        diff = changes.compare(self._stamps, stamps)
        self._stamps = stamps
        self.server.prefix = _base_path(self.content_dir, self.server.prefix)
        reload = changes.plan_reload(diff, self.server.prefix)
        elapsed = round((time.perf_counter() - started) * 1000)
        if batch:
            self.echo(f"{_describe(batch)}: {_summary(result.pages, reload, diff)} in {elapsed} ms", False)
        else:
            self.echo(f"Built {result.articles} articles, {result.pages} pages in {elapsed} ms", False)
        self.hub.publish_reload(pages=reload.pages, styles=reload.styles, full=reload.full)

    def _failed(self, errors: list[str]) -> None:
        for error in errors:
            self.echo(error, True)
        self.echo(f"Build failed with {len(errors)} error(s); still serving the last good build.", True)
        self.hub.publish_failure(errors)


def _base_path(content_dir: Path, current: str) -> str:
    try:
        return config.load_config(content_dir).base_path
    except (SiteError, BuildFailed, OSError):
        return current


def _summary(pages: int, reload: changes.Reload, diff: changes.OutputChanges) -> str:
    what = f"{len(reload.pages)} of {pages} pages changed, {diff.count} files in all"
    if reload.full:
        return f"{what}; reloading every page"
    return f"{what}, {len(reload.styles)} stylesheet(s) swapped" if reload.styles else what


def _describe(batch: dict[str, str]) -> str:
    names = _short_names(batch)
    more = f" and {len(batch) - 2} more" if len(batch) > 2 else ""
    return f"{', '.join(names[:2])}{more} changed"


def _short_names(paths: Iterable[str]) -> list[str]:
    cwd = Path.cwd()
    names = []
    for path in sorted(paths):
        try:
            names.append(Path(path).relative_to(cwd).as_posix())
        except ValueError:
            names.append(path)
    return names
