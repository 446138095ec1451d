"""Full-text search: runs Pagefind over the built pages, writing its index and script into ``pagefind/``.

Only elements marked ``data-pagefind-body`` are indexed (the article text in ``article.html``), so lists,
tag pages and redirects stay out of the results. The binary comes from the ``pagefind[bin]`` wheel:
indexing needs no network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pagefind.service import get_executable

BUNDLE = "pagefind"
TIMEOUT_SECONDS = 300
# Permalink marks and footnote numbers would otherwise show up in section titles ("History#") and excerpts.
EXCLUDE = "a.anchor, a.footnote-ref"


class SearchIndexError(RuntimeError):
    """Pagefind could not be found or did not finish; its output says why."""


def index_site(site_dir: Path) -> None:
    """Write Pagefind's index into ``site_dir/pagefind/``."""
    try:
        result = subprocess.run(
            pagefind_command(site_dir),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchIndexError(f"pagefind did not run: {exc}") from exc
    if result.returncode != 0:
        raise SearchIndexError(
            f"pagefind failed ({result.returncode}): {result.stdout}{result.stderr}".strip()
        )


def pagefind_command(site_dir: Path) -> list[str]:
    """The command line that indexes ``site_dir``; PAGEFIND_BINARY_PATH overrides the bundled binary."""
    binary = get_executable()
    if binary is None:
        raise SearchIndexError(
            "no pagefind binary: install the project with pip install -e . ('pagefind[bin]')"
        )
    command = [str(binary), "--site", str(site_dir.resolve()), "--output-subdir", BUNDLE]
    return [*command, "--exclude-selectors", EXCLUDE, "--silent"]
