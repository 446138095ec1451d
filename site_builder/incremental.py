"""The incremental layer around the pipeline: what the last build into an output folder lends to this one.

A page or chat file whose key is unchanged is linked from the last build instead of rendered; an index made
from them all (Pagefind's, the chat service's site-wide one) is kept while none of its inputs changed. At the
end the build's keys are recorded in the cache for the next build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from . import output
from .cache import BuildCache
from .errors import BuildFailed, SiteError
from .model import OutputFile, PagePlan
from .workers import run_all

SEARCH_INDEX = "pagefind"  # the folder Pagefind writes its index to


class Reuse:
    """What one build takes from the last build into the same output folder, and leaves for the next."""

    def __init__(self, cache: BuildCache, out_dir: Path, *, search: bool, in_place: bool) -> None:
        """``search``: this build runs Pagefind; ``in_place``: it updates ``out_dir`` file by file (watch mode)."""
        self.cache, self.out_dir = cache, out_dir
        self.search, self.in_place = search, in_place
        self.out_key = str(out_dir.resolve())
        self.same_out = cache.out_dir == self.out_key
        self._changed: dict[str, bool] = {}

    def render(
        self, kind: str, plans: list[PagePlan], workers: int
    ) -> tuple[list[OutputFile], tuple[str, ...]]:
        """Render the plans of ``kind`` (``pages`` or ``chat``) whose key changed; link the others."""
        previous: dict[str, str] = getattr(self.cache, kind) if self.same_out else {}
        kept = {
            p.path
            for p in plans
            if previous.get(p.path) == p.key and os.path.isfile(os.path.join(self.out_dir, p.path))
        }
        try:
            fresh = iter(run_all([p.render for p in plans if p.path not in kept], workers))
        except SiteError as exc:
            raise BuildFailed([exc]) from None
        files = [
            OutputFile(path=p.path, link_from=self.out_dir / p.path) if p.path in kept else next(fresh)
            for p in plans
        ]
        rendered = tuple(p.path for p in plans if p.path not in kept)
        self._changed[kind] = bool(rendered) or {p.path for p in plans} != previous.keys()
        return files, rendered

    def kept(self, folder: str, *kinds: str) -> list[OutputFile]:
        """The files below ``folder`` as the last build left them, if nothing of ``kinds`` changed since."""
        if any(self._changed.get(kind, True) for kind in kinds):
            return []
        return output.previous_files(self.out_dir, folder)

    def search_index(self, plans: list[PagePlan]) -> tuple[list[OutputFile], bool]:
        """Pagefind's files to carry over, and whether Pagefind must index the site anew."""
        if (
            not self.search
        ):  # the dev server keeps the last index, if any; a plain build without search has none
            return (output.previous_files(self.out_dir, SEARCH_INDEX) if self.in_place else []), False
        # The last index holds only for the very pages it was made from: the dev server updates pages
        # without indexing them, so "no page changed since the last build" is not enough.
        indexed = self.same_out and self.cache.search_pages == {p.path: p.key for p in plans}
        old = output.previous_files(self.out_dir, SEARCH_INDEX) if indexed else []
        return old, not old

    def write(
        self, files: list[OutputFile], steps: Callable[[Path], None] | None
    ) -> tuple[int, tuple[str, ...] | None]:
        """Write the site (in place for the dev server); the count, and the paths an in-place write touched."""
        if self.in_place and self.same_out and self.out_dir.is_dir():
            return len(files), tuple(output.write_in_place(files, self.out_dir, self.cache.outputs, steps))
        return output.write_all(files, self.out_dir, steps), None

    def record(
        self, plans: Iterable[PagePlan], chat_plans: Iterable[PagePlan], files: Iterable[OutputFile]
    ) -> None:
        """Leave this build's keys and outputs in the cache for the next build."""
        cache = self.cache
        now = ({p.path: p.key for p in plans}, {p.path: p.key for p in chat_plans}, [f.path for f in files])
        cache.dirty |= not self.same_out or now != (cache.pages, cache.chat, cache.outputs)
        cache.out_dir = self.out_key
        cache.pages, cache.chat, cache.outputs = now
        if (
            self.search or not self.in_place
        ):  # an in-place build without search keeps the last index as it was
            searched = now[0] if self.search else {}
            cache.dirty |= searched != cache.search_pages
            cache.search_pages = searched
