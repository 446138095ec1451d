"""What a rebuild changed in the output folder, and what an open page must do about it.

Pages are compared with the fingerprints of theme assets taken out, so that a stylesheet-only edit (which renames
``assets/style.<hash>.css`` in every page) swaps the stylesheet instead of reloading every tab.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# size, mtime_ns, content digest
Stamp = tuple[int, int, str]

_FINGERPRINT = re.compile(r"^(assets/.+)\.[0-9a-f]{10}(\.\w+)$")
_FINGERPRINT_BYTES = re.compile(rb"(assets/[\w-]+)\.[0-9a-f]{10}(\.(?:css|js))")
# Files no open page shows: a change to them alone reloads nothing.
_UNSEEN = (".xml", ".json", ".txt")


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputChanges:
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.changed) + len(self.removed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reload:
    pages: list[str]
    styles: dict[str, str]
    full: bool


def snapshot(out_dir: Path, previous: Mapping[str, Stamp]) -> dict[str, Stamp]:
    """Every file below ``out_dir`` with its digest; a file whose size and mtime are unchanged is not read again."""
    stamps: dict[str, Stamp] = {}
    if out_dir.is_dir():
        _scan(str(out_dir), "", previous, stamps)
    return stamps


def _scan(folder: str, prefix: str, previous: Mapping[str, Stamp], stamps: dict[str, Stamp]) -> None:
    # scandir and string keys: this runs after every rebuild over thousands of files, mostly only stat()ing them.
    with os.scandir(folder) as entries:
        for entry in entries:
            key = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                _scan(entry.path, key + "/", previous, stamps)
                continue
            stat = entry.stat()
            old = previous.get(key)
            if old and old[0] == stat.st_size and old[1] == stat.st_mtime_ns:
                stamps[key] = old
            else:
                stamps[key] = (stat.st_size, stat.st_mtime_ns, _digest(entry.path))


def restamp(out_dir: Path, previous: Mapping[str, Stamp], paths: Iterable[str]) -> dict[str, Stamp]:
    """``previous`` with only ``paths`` looked at again: what an in-place build says it wrote or removed."""
    stamps = dict(previous)
    for path in paths:
        full = os.path.join(out_dir, path)
        try:
            stat = os.stat(full)
        except FileNotFoundError:
            stamps.pop(path, None)
            continue
        stamps[path] = (stat.st_size, stat.st_mtime_ns, _digest(full))
    return stamps


def compare(old: Mapping[str, Stamp], new: Mapping[str, Stamp]) -> OutputChanges:
    """Files added or changed, and files removed, between two snapshots."""
    changed = tuple(sorted(k for k, v in new.items() if k not in old or old[k][2] != v[2]))
    removed = tuple(sorted(k for k in old if k not in new))
    return OutputChanges(changed=changed, removed=removed)


def plan_reload(changes: OutputChanges, prefix: str) -> Reload:
    """Which pages reload, which stylesheets are swapped (old URL -> new URL), and whether every page reloads."""
    pages = [p for p in (*changes.changed, *changes.removed) if p.endswith(".html")]
    styles = _style_swaps(changes, prefix)
    others = (p for p in (*changes.changed, *changes.removed) if not p.endswith((".html", ".css", *_UNSEEN)))
    return Reload(pages=pages, styles=styles, full=any(True for _ in others))


def _style_swaps(changes: OutputChanges, prefix: str) -> dict[str, str]:
    gone = {_plain(p): p for p in changes.removed if p.endswith(".css")}
    swaps = {}
    for path in changes.changed:
        if path.endswith(".css"):
            old = gone.get(_plain(path), path)
            swaps[prefix + old] = prefix + path
    return swaps


def _plain(path: str) -> str:
    return _FINGERPRINT.sub(r"\1\2", path)


def _digest(path: str) -> str:
    with open(path, "rb") as file:
        data = file.read()
    if path.endswith(".html"):
        data = _FINGERPRINT_BYTES.sub(rb"\1\2", data)
    return hashlib.blake2b(data, digest_size=16).hexdigest()
