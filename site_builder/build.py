"""The pipeline in one screen: content/ -> articles -> site -> files -> the output folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import assets, catalog, config, content, feeds, knowledge, output, render
from . import search as search_index
from .errors import BuildFailed, SiteError
from .model import Article
from .parse import parse_article


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    articles: int
    files: int
    pages: int
    milliseconds: int
    warnings: tuple[SiteError, ...]


def build(
    content_dir: Path,
    out_dir: Path,
    *,
    drafts: bool = False,
    strict: bool = False,
    search: bool = False,
    finalize: Callable[[Path], None] | None = None,
) -> BuildResult:
    """Build the site; raise BuildFailed with every content error, leaving ``out_dir`` untouched.

    ``search`` runs the Pagefind indexer on the new site before it replaces ``out_dir``;
    ``finalize`` is one more step on the new folder.
    """
    started = time.perf_counter()
    label = content_dir.as_posix().rstrip("/") or "."
    settings = config.load_config(content_dir)
    articles = load_articles(content_dir, label)
    site = catalog.assemble(settings, articles, drafts)
    warnings = catalog.check_links(site, label)
    if strict and warnings:
        raise BuildFailed(warnings)
    env = render.make_environment(content_dir / "templates")
    theme_files, asset_names = assets.theme_assets()
    try:
        pages = list(render.render_pages(site, env, asset_names))
    except SiteError as exc:
        raise BuildFailed([exc]) from None
    listed = [
        p.path
        for p in pages
        if p.path.endswith("index.html") and p.path[:-10].strip("/") not in _aliases(articles)
    ]
    files = [
        *theme_files,
        *assets.static_files(content.read_static(content_dir)),
        *pages,
        *feeds.render_feeds(site, listed),
        knowledge.chat_export(site),
    ]
    try:
        written = output.write_all(files, out_dir, _steps(search, finalize))
    except SiteError as exc:
        raise BuildFailed([exc]) from None
    elapsed = round((time.perf_counter() - started) * 1000)
    return BuildResult(
        articles=len(site.articles),
        files=written,
        pages=len(pages),
        milliseconds=elapsed,
        warnings=tuple(warnings),
    )


def load_articles(content_dir: Path, label: str) -> list[Article]:
    """Read and parse every article; collect every error before failing."""
    articles: list[Article] = []
    errors: list[SiteError] = []
    for path in content.find_sources(content_dir):
        source = content.read_source(content_dir, path)
        try:
            articles.append(parse_article(source, f"{label}/{source.path}"))
        except SiteError as exc:
            errors.append(exc)
    errors += catalog.find_duplicates(articles, label)
    if errors:
        raise BuildFailed(errors)
    return articles


def _steps(search: bool, finalize: Callable[[Path], None] | None) -> Callable[[Path], None] | None:
    steps = [step for step in (search_index.index_site if search else None, finalize) if step]

    def run(folder: Path) -> None:
        for step in steps:
            step(folder)

    return run if steps else None


def _aliases(articles: list[Article]) -> set[str]:
    return {alias.strip("/") for a in articles for alias in a.meta.aliases}
