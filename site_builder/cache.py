"""The build cache (``.cache/``): parsed articles keyed by their text, and a manifest of the pages the last
build wrote, keyed by everything each page depends on. The only module that reads or writes the cache."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .model import Article

CACHE_FILE = "folio-build.pickle"


@dataclass(slots=True)
class BuildCache:
    """What one build leaves for the next; empty when there was none or it came from other code."""

    version: str = field(default_factory=lambda: code_version())
    articles: dict[str, Article] = field(default_factory=dict)
    out_dir: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    chat: dict[str, str] = field(default_factory=dict)  # the chat export's article files, like pages
    outputs: list[str] = field(default_factory=list)
    # The page keys the Pagefind index in out_dir was made from (empty: no index, or of unknown pages).
    search_pages: dict[str, str] = field(default_factory=dict)
    # source path -> (mtime_ns, size, digest): an unchanged file is not even read again
    stamps: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    related_key: str = ""
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Set by a build that changed anything above; a clean cache is not written again (it can be hundreds of MB).
    dirty: bool = True


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the builder's code, its theme and the library versions: a new version starts afresh."""
    import markdown
    import pygments
    import pymdownx
    import yaml

    versions = (markdown.__version__, pygments.__version__, pymdownx.__version__, yaml.__version__)
    digest = hashlib.sha256(" ".join(versions).encode())
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), *here.glob("templates/*"), *here.glob("static/*")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir_for(out_dir: Path) -> Path:
    """The build cache lives beside the output folder: ``dist/`` -> ``.cache/folio/``."""
    return out_dir.resolve().parent / ".cache" / "folio"


def load_cache(cache_dir: Path | None) -> BuildCache:
    """The cache saved by the last build, or an empty one (missing, unreadable or from other code)."""
    if cache_dir is None:
        return BuildCache(version=code_version())
    try:
        with open(cache_dir / CACHE_FILE, "rb") as file:
            cache = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return BuildCache(version=code_version())
    if not isinstance(cache, BuildCache) or cache.version != code_version():
        return BuildCache(version=code_version())
    cache.dirty = False
    return cache


def save_cache(cache: BuildCache, cache_dir: Path | None) -> None:
    """Write the cache atomically, unless nothing in it changed since it was loaded."""
    if cache_dir is None or not cache.dirty:
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=cache_dir)
    try:
        with os.fdopen(fd, "wb") as file:
            pickle.dump(cache, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_dir / CACHE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
