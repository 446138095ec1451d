"""Full-text search: runs Pagefind over the built pages (placeholder until the search issue lands)."""

from __future__ import annotations

from pathlib import Path


def index_site(site_dir: Path) -> None:
    """Write Pagefind's index into ``site_dir/pagefind/``."""
    raise NotImplementedError("search indexing is not implemented yet")
