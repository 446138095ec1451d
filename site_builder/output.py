"""WRITE: the only module that writes the output folder. A build replaces it whole, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import OutputError
from .model import OutputFile


def check_paths(files: Iterable[OutputFile]) -> list[OutputFile]:
    """Refuse two files for one output path, or a path that would leave the output folder."""
    seen: set[str] = set()
    kept = []
    for file in files:
        path = file.path
        if path.startswith("/") or ".." in path.split("/"):
            raise OutputError(path, None, "an output path must stay inside the output folder")
        if path in seen:
            raise OutputError(
                path,
                None,
                "two sources would be written to this path",
                "an alias or static file may clash with a page",
            )
        seen.add(path)
        kept.append(file)
    for path in seen:
        # A file where another output needs a folder ("feed.xml" and "feed.xml/index.html") cannot be written.
        parent = path.rpartition("/")[0]
        while parent:
            if parent in seen:
                raise OutputError(
                    path,
                    None,
                    f"cannot be written: {parent} is a file of the site",
                    "a slug or alias may name a file the build writes (feed.xml, chat/index.json, ...)",
                )
            parent = parent.rpartition("/")[0]
    return kept


def write_all(
    files: Iterable[OutputFile], out_dir: Path, finalize: Callable[[Path], None] | None = None
) -> int:
    """Write every file into a fresh folder, run ``finalize`` on it, then swap it in for ``out_dir``.

    On any failure the previous ``out_dir`` is left exactly as it was.
    """
    files = check_paths(files)
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a web server running as another user must read it
    try:
        made: set[Path] = set()
        for file in files:
            target = staging / file.path
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if file.link_from is not None:
                _link(file.link_from, target)
            else:
                target.write_bytes(file.data)
        if finalize:
            finalize(staging)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(files)


def write_in_place(
    files: Iterable[OutputFile],
    out_dir: Path,
    previous: Iterable[str],
    finalize: Callable[[Path], None] | None = None,
) -> list[str]:
    """Update ``out_dir`` file by file: write what changed (each file atomically), delete what is gone.

    For the dev server, where a rebuild must cost what changed rather than the size of the site. Returns
    the paths written or removed (``finalize``'s own writes are not among them).
    """
    files = check_paths(files)
    current = {f.path for f in files}
    touched = []
    for file in files:
        target = out_dir / file.path
        if file.link_from is not None:
            if file.link_from != target:  # both are out_dir / path when the file is already in place
                _replace(target, file.link_from.read_bytes())
                touched.append(file.path)
        elif not _same(target, file.data):
            _replace(target, file.data)
            touched.append(file.path)
    for path in sorted(set(previous) - current):
        _remove(out_dir, out_dir / path)
        touched.append(path)
    if finalize:
        finalize(out_dir)
    return touched


def previous_files(out_dir: Path, folder: str) -> list[OutputFile]:
    """The files below ``out_dir/folder`` as the last build left them, to carry into the next one unchanged."""
    root = out_dir / folder
    if not root.is_dir():
        return []
    return [
        OutputFile(path=p.relative_to(out_dir).as_posix(), link_from=p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]


def _same(target: Path, data: bytes) -> bool:
    try:
        return target.stat().st_size == len(data) and target.read_bytes() == data
    except OSError:
        return False


def _replace(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _remove(root: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _link(source: Path, target: Path) -> None:
    # A hard link shares the unchanged file's bytes with the previous build at the cost of a directory entry.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _swap(new: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, old / "site")
    os.replace(new, out_dir)
    if old:
        shutil.rmtree(old, ignore_errors=True)
