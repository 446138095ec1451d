"""A static file host on 127.0.0.1 for the export-from-a-URL tests: the stdlib's file server plus ETags.

`StaticHost(root)` serves `root` in a thread (Last-Modified and If-Modified-Since come with the stdlib's
handler; this one adds an ETag from each file's mtime and size, and answers If-None-Match with 304), and
records every request as `(path, status, request headers)` in `requests`.
"""

from __future__ import annotations

import functools
import os
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from tests.e2e.scripted import _Threaded


class StaticHost(_Threaded):
    def __init__(self, root: Path) -> None:
        self.requests: list[tuple[str, int, dict[str, str]]] = []
        super().__init__(functools.partial(_Files, directory=str(root), log=self.requests))

    def statuses(self, path: str) -> list[int]:
        """The status of every request for `path` (without its query), in order."""
        return [status for requested, status, _ in self.requests if requested.split("?")[0] == path]


class _Files(SimpleHTTPRequestHandler):
    def __init__(self, *args, log: list, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self._log = log
        super().__init__(*args, **kwargs)

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self.translate_path(self.path)
        if os.path.isfile(path):
            stat = os.stat(path)
            etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            self._etag = etag
        return super().send_head()

    def end_headers(self) -> None:
        if etag := getattr(self, "_etag", None):
            self.send_header("ETag", etag)
            self._etag = None
        super().end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._log.append((self.path, code, {k.lower(): v for k, v in self.headers.items()}))
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass
