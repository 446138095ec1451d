"""Where the chat export's files come from: a folder on this machine, or the static host that publishes it.

`export_source(location, ...)` picks one for `CHAT_INDEX`: a path, or an `http(s)://` URL of `index.json`.
Both answer the same two questions: `await manifest()` (the manifest's bytes, or None when it has not changed
since the last call) and `await article(file, digest)` (one article file's bytes). Failures are ExportErrors;
`transient` ones (unreachable, missing for now) may succeed later. A URL is fetched with one httpx2 client
(the HTTP library the openai SDK uses) with conditional requests, timeouts and a size limit.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import anyio
import httpx2

from chat_service.errors import ExportError

USER_AGENT = "folio-chat-service"


class ExportSource(Protocol):
    location: str
    remote: bool

    async def manifest(self) -> bytes | None: ...

    async def article(self, file: str, digest: str) -> bytes: ...

    def article_location(self, file: str) -> str: ...

    async def aclose(self) -> None: ...


def is_url(location: str) -> bool:
    """True for an http:// or https:// location."""
    return urlsplit(location).scheme in ("http", "https")


def export_source(location: str, *, timeout: float, max_bytes: int) -> ExportSource:
    """The source for `CHAT_INDEX`: a URL of index.json, or a path on this machine."""
    if is_url(location):
        return RemoteExport(location, timeout=timeout, max_bytes=max_bytes)
    return LocalExport(Path(location))


def _unreadable(path: Path, error: OSError, what: str) -> ExportError:
    if isinstance(error, FileNotFoundError):
        hint = (
            "run `make build` first, or set CHAT_INDEX" if what == "the chat export" else "rebuild the site"
        )
        return ExportError(str(path), f"{what} does not exist", hint, transient=True)
    return ExportError(str(path), f"cannot read {what}: {error.strerror}", transient=True)


def read_file(path: Path, what: str = "the chat export") -> bytes:
    """A file's bytes, or a (transient) ExportError saying why `what` cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise _unreadable(path, error, what) from None


def _file_stamp(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class LocalExport:
    """The manifest at `path` and the article files beside it; a change is a new stamp (mtime, size, inode)."""

    remote = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._stamp: tuple[int, int, int] | None = None

    async def manifest(self) -> bytes | None:
        try:
            stamp = _file_stamp(self.path)
        except OSError as error:
            if self._stamp is None:
                raise _unreadable(self.path, error, "the chat export") from None
            return None  # replaced right now, or deleted: keep serving the last good export
        if stamp == self._stamp:
            return None
        # Remembered before reading: a file that fails to read or parse is not read again until it changes.
        self._stamp = stamp
        return await anyio.to_thread.run_sync(read_file, self.path)

    async def article(self, file: str, digest: str) -> bytes:
        return await anyio.to_thread.run_sync(read_file, self.path.parent / file, "the article's file")

    def article_location(self, file: str) -> str:
        return str(self.path.parent / file)

    async def aclose(self) -> None:
        pass


class RemoteExport:
    """The manifest at `url` and the article files beside it, fetched over HTTP(S)."""

    remote = True

    def __init__(self, url: str, *, timeout: float, max_bytes: int) -> None:
        self._url = url
        self.location = without_password(url)  # what messages, logs and /healthz show
        self._max_bytes = max_bytes
        self._client = httpx2.AsyncClient(
            timeout=httpx2.Timeout(timeout), follow_redirects=True, headers={"user-agent": USER_AGENT}
        )
        self._validators: dict[str, str] = {}
        self._body_digest = ""

    async def manifest(self) -> bytes | None:
        # no-cache: a cache between here and the host must ask the host, whose answer is then a cheap 304.
        headers = {"cache-control": "no-cache", **self._validators}
        status, body, validators = await self._get(self._url, headers)
        if status == 304:
            return None
        digest = hashlib.sha256(body).hexdigest()
        if digest == self._body_digest:
            return None  # a host that sends no validators: the same bytes are no change
        self._validators, self._body_digest = validators, digest
        return body

    async def article(self, file: str, digest: str) -> bytes:
        # The digest in the query gives each version of an article its own URL, so no cache serves an old one.
        url = f"{urljoin(self._url, quote(file))}?digest={quote(digest)}"
        return (await self._get(url, {}))[1]

    def article_location(self, file: str) -> str:
        return urljoin(self.location, quote(file))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return 304, b"", {}
                if response.status_code != 200:
                    raise self._failed(
                        url,
                        f"the host answered {response.status_code} {httpx2.codes.get_reason_phrase(response.status_code)}",
                    )
                self._check_length(url, response.headers.get("content-length"))
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise self._too_large(url)
                return 200, bytes(body), _validators(response.headers)
        except httpx2.TimeoutException:
            raise self._failed(url, "the host did not answer in time") from None
        except httpx2.HTTPError as error:
            raise self._failed(url, f"the host cannot be reached ({type(error).__name__})") from None

    def _check_length(self, url: str, declared: str | None) -> None:
        if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(url)

    def _too_large(self, url: str) -> ExportError:
        return self._failed(url, f"the file is larger than CHAT_INDEX_MAX_BYTES ({self._max_bytes} bytes)")

    def _failed(self, url: str, reason: str) -> ExportError:
        where = without_password(url.split("?")[0])
        return ExportError(where, f"cannot fetch the chat export: {reason}", transient=True)


def without_password(url: str) -> str:
    """A URL without the user and password it may carry (``https://user:secret@host/`` -> ``https://host/``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _validators(headers: httpx2.Headers) -> dict[str, str]:
    found = {}
    if etag := headers.get("etag"):
        found["if-none-match"] = etag
    if modified := headers.get("last-modified"):
        found["if-modified-since"] = modified
    return found
