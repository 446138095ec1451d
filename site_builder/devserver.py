"""The watch mode's HTTP server: the output folder with pretty URLs, plus live reload over server-sent events.

Only this server injects the live-reload script, into HTML responses; the files on disk never contain it.
Stdlib only, one thread per request; ``ReloadHub.close()`` ends the event streams so that the server stops
without leaving threads behind.
"""

from __future__ import annotations

import json
import mimetypes
import queue
import re
import sys
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

EVENTS_PATH = "/__folio/events"
SCRIPT_PATH = "/__folio/reload.js"
KEEPALIVE_SECONDS = 15.0
_CLOSED = object()
_BODY_END = re.compile(rb"</body\s*>", re.I)
_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".json": "application/json"}

RELOAD_JS = b"""(() => {
  const me = document.currentScript.dataset;
  let build = Number(me.build);
  const events = new EventSource("/__folio/events");
  const on = (name, handle) => events.addEventListener(name, (e) => handle(JSON.parse(e.data)));
  on("hello", (d) => {
    // A build finished while this page was loading or while the connection was down.
    if (d.build !== build) return location.reload();
    d.errors.length ? show(d.errors) : hide();
  });
  on("failed", (d) => show(d.errors));
  on("reload", (d) => {
    build = d.build;
    hide();
    if (d.full || d.pages.includes(me.page)) return location.reload();
    swapStyles(d.styles);
  });
  function swapStyles(styles) {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      const next = styles[url.pathname];
      if (next) link.href = next + "?v=" + Date.now();
    }
  }
  function show(errors) {
    hide();
    const box = element("div", "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:10vh 1rem;" +
      "background:rgba(0,0,0,.55)");
    box.id = "folio-build-error";
    box.setAttribute("role", "alert");
    const panel = element("div", "max-width:60rem;margin:0 auto;padding:1.25rem 1.5rem;background:#1d1f21;" +
      "color:#f5f5f5;border-left:6px solid #ff5252;border-radius:6px;box-shadow:0 8px 30px rgba(0,0,0,.5)");
    const title = element("h2", "margin:0 0 .75rem;color:#ff8a80;font:bold 18px/1.3 system-ui,sans-serif");
    title.textContent = `Build failed with ${errors.length} error(s)`;
    const text = element("pre", "margin:0;white-space:pre-wrap;font:14px/1.6 ui-monospace,monospace");
    text.textContent = errors.join("\\n");
    const note = element("p", "margin:1rem 0 0;color:#bbb;font:13px/1.4 system-ui,sans-serif");
    note.textContent = "The page shows the last good build. Save a fix and this goes away.";
    panel.append(title, text, note);
    box.append(panel);
    document.body.append(box);
  }
  function element(name, css) {
    const node = document.createElement(name);
    node.style.cssText = css;
    return node;
  }
  function hide() {
    document.getElementById("folio-build-error")?.remove();
  }
})();
"""


class ReloadHub:
    """Fans build outcomes out to every open event stream and remembers the latest for new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.Queue[object]] = []
        self._closed = False
        self.build = 0
        self.errors: tuple[str, ...] = ()

    def publish_reload(self, *, pages: list[str], styles: dict[str, str], full: bool) -> None:
        """Tell every page that a build succeeded and which of its output files changed."""
        with self._lock:
            self.build += 1
            self.errors = ()
            data = {"build": self.build, "pages": pages, "styles": styles, "full": full}
            self._send_locked("reload", data)

    def publish_failure(self, errors: list[str]) -> None:
        """Tell every page that a build failed, with each error as ``path:line: message``."""
        with self._lock:
            self.errors = tuple(errors)
            self._send_locked("failed", {"build": self.build, "errors": errors})

    def subscribe(self) -> queue.Queue[object]:
        """A queue of encoded events, starting with a ``hello`` that carries the current state."""
        inbox: queue.Queue[object] = queue.Queue()
        with self._lock:
            hello = {"build": self.build, "errors": list(self.errors)}
            inbox.put(encode_event("hello", hello) if not self._closed else _CLOSED)
            self._subscribers.append(inbox)
        return inbox

    def unsubscribe(self, inbox: queue.Queue[object]) -> None:
        with self._lock:
            if inbox in self._subscribers:
                self._subscribers.remove(inbox)

    def close(self) -> None:
        """End every stream, now and for later subscribers."""
        with self._lock:
            self._closed = True
            for inbox in self._subscribers:
                inbox.put(_CLOSED)

    def _send_locked(self, name: str, data: dict[str, Any]) -> None:
        frame = encode_event(name, data)
        for inbox in self._subscribers:
            inbox.put(frame)


def encode_event(name: str, data: dict[str, Any]) -> bytes:
    """One server-sent event; JSON has no raw newlines, so one ``data:`` line suffices."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def inject_script(html: bytes, page: str, build: int) -> bytes:
    """Add the live-reload script before ``</body>`` (or at the end when there is none)."""
    tag = f'<script src="{SCRIPT_PATH}" data-page="{page}" data-build="{build}"></script>'.encode()
    matches = list(_BODY_END.finditer(html))
    at = matches[-1].start() if matches else len(html)
    return html[:at] + tag + html[at:]


class DevServer(ThreadingHTTPServer):
    """Serves ``root`` with pretty URLs and live reload; ``prefix`` is the site's base path (``/`` or ``/blog/``)."""

    # Handler threads are joined on server_close(), so a stopped server leaves none behind.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], root: Path, hub: ReloadHub) -> None:
        super().__init__(address, _Handler)
        self.root = root.resolve()
        self.hub = hub
        self.prefix = "/"

    def handle_error(self, request: object, client_address: object) -> None:
        # A reader who navigates away mid-response is normal in development, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def resolve(self, url_path: str) -> tuple[Path | None, str | None]:
        """The file for a URL path, or a redirect target when a folder is asked for without its slash."""
        path = unquote(urlsplit(url_path).path)
        if self.prefix != "/" and (path + "/").startswith(self.prefix):
            path = "/" + path[len(self.prefix) :]
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            return None, None
        if target.is_dir():
            if not path.endswith("/"):
                return None, urlsplit(url_path).path + "/"
            target = target / "index.html"
        return (target if target.is_file() else None), None


class _Handler(BaseHTTPRequestHandler):
    server: DevServer
    # HTTP/1.0: one request per connection, so no thread idles on a kept-alive socket at shutdown.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal is for rebuild lines; a request log would drown them

    def _respond(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        if path == EVENTS_PATH:
            return self._stream_events()
        if path == SCRIPT_PATH:
            return self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", RELOAD_JS, send_body)
        file, redirect = self.server.resolve(self.path)
        if redirect:
            return self._redirect(redirect)
        if file is None:
            return self._not_found(send_body)
        self._send_file(HTTPStatus.OK, file, send_body)

    def _send_file(self, status: HTTPStatus, file: Path, send_body: bool) -> None:
        try:
            data = file.read_bytes()
        except OSError:  # the build swapped the folder between resolve and read
            return self._not_found(send_body)
        kind = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".html":
            page = file.relative_to(self.server.root).as_posix()
            data = inject_script(data, page, self.server.hub.build)
        self._send(status, kind, data, send_body)

    def _not_found(self, send_body: bool) -> None:
        page = self.server.root / "404.html"
        if page.is_file():
            return self._send_file(HTTPStatus.NOT_FOUND, page, send_body)
        # No build has succeeded yet: a bare page that still carries the script, to show the error overlay.
        html = inject_script(b"<!doctype html><title>Not found</title><h1>Not found</h1>", "", 0)
        self._send(HTTPStatus.NOT_FOUND, _TYPES[".html"], html, send_body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, kind: str, data: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _stream_events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        inbox = self.server.hub.subscribe()
        try:
            for frame in _frames(inbox):
                self.wfile.write(frame)
                self.wfile.flush()
        except ConnectionError:
            pass  # the tab was closed or reloaded
        finally:
            self.server.hub.unsubscribe(inbox)


def _frames(inbox: queue.Queue[object]) -> Iterator[bytes]:
    while True:
        try:
            item = inbox.get(timeout=KEEPALIVE_SECONDS)
        except queue.Empty:
            # A comment line keeps proxies from timing out and shows us a closed tab on the next write.
            yield b": ping\n\n"
            continue
        if item is _CLOSED:
            return
        assert isinstance(item, bytes)
        yield item
