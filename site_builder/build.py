"""The pipeline in one screen: content/ -> articles -> site -> files -> the output folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import assets, catalog, chat_search, check, claims, config, content, feeds, knowledge, render
from . import search as search_index
from .cache import BuildCache, code_version
from .errors import BuildFailed, SearchError, SiteError, SkippedFile
from .incremental import SEARCH_INDEX, Reuse
from .model import ALIAS_RANK, Article, OutputFile, PagePlan, Site, SiteConfig, Source
from .parse import parse_article, settle_folder_pages, source_digest
from .workers import run_all


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    articles: int
    files: int
    pages: int
    rendered: tuple[str, ...]
    # the files an in-place build wrote or removed; None when out_dir was replaced whole
    touched: tuple[str, ...] | None
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
    cache: BuildCache | None = None,
    workers: int = 1,
    in_place: bool = False,
) -> BuildResult:
    """Build the site; raise BuildFailed with every content error, leaving ``out_dir`` untouched.

    ``search`` runs the Pagefind indexer on the new site before it replaces ``out_dir``; ``finalize`` is one
    more step on the new folder. A ``cache`` from the previous build skips parsing unchanged articles and
    rendering unchanged pages; it is updated in place. ``workers`` > 1 forks that many processes.
    ``in_place`` (the dev server's mode) updates the last build's ``out_dir`` file by file instead of
    replacing it whole: errors still stop the build before anything is written.
    """
    started = time.perf_counter()
    cache = cache if cache is not None else BuildCache(version=code_version())
    reuse, label = Reuse(cache, out_dir, search=search, in_place=in_place), _label(content_dir)
    settings = config.load_config(content_dir)
    articles = load_articles(content_dir, label, cache, workers)
    site = assemble_cached(settings, articles, drafts, cache)
    assets_files, plans, warnings = plan_site(site, content_dir, label, strict)
    if strict and warnings:
        raise BuildFailed(warnings)
    chat_plans = knowledge.chat_plans(site, code_version())
    pages, rendered = reuse.render("pages", plans, workers)
    chat_files, _ = reuse.render("chat", chat_plans, workers=1)
    listed = [p.path for p in plans if p.path.endswith("index.html") and p.rank != ALIAS_RANK]
    old_search, index_search = reuse.search_index(plans)
    files = [
        *assets_files,
        *pages,
        *feeds.render_feeds(site, listed),
        *chat_files,
        knowledge.chat_index(site, chat_plans),
        *sorted(
            reuse.kept(chat_search.FOLDER, "pages", "chat") or chat_search.chat_search_files(site),
            key=lambda file: file.path,
        ),
        *old_search,
    ]
    try:
        written, touched = reuse.write(files, _steps(index_search, finalize))
    except SiteError as exc:
        raise BuildFailed([exc]) from None
    except search_index.SearchIndexError as exc:
        raise BuildFailed([SearchError(SEARCH_INDEX, None, str(exc))]) from None
    reuse.record(plans, chat_plans, files)
    return BuildResult(
        articles=len(site.articles),
        files=written,
        pages=len(plans),
        rendered=rendered,
        touched=touched,
        milliseconds=round((time.perf_counter() - started) * 1000),
        warnings=(*skipped_files(content_dir, label), *warnings),
    )


def plan_site(
    site: Site, content_dir: Path, label: str, strict: bool
) -> tuple[list[OutputFile], list[PagePlan], list[SiteError]]:
    """The theme's and content/static/'s files, every page to write, and what the build warns about (all of
    the site check's findings when ``strict``), in file and line order."""
    theme_files, asset_names = assets.theme_assets()
    files = [*theme_files, *assets.static_files(content.read_static(content_dir))]
    renderer, plans, clashes = plan_pages(site, content_dir, label, asset_names, files)
    warnings = [*clashes, *find_warnings(site, renderer, content_dir, label, strict)]
    return files, plans, sorted(warnings, key=_place)


def plan_pages(
    site: Site,
    content_dir: Path,
    label: str,
    asset_names: dict[str, str],
    files: list[OutputFile],
) -> tuple[render.Renderer, list[PagePlan], list[SiteError]]:
    """Every page to write, one per output path (the losers of a clash are warnings), and its renderer."""
    env = render.make_environment(content_dir / "templates")
    others = frozenset([*(f.path for f in files), *feeds.PATHS])
    renderer = render.Renderer(site, env, asset_names, code_version(), other_files=others)
    plans, clashes = claims.settle(renderer.plans(), label)
    return renderer, plans, list(clashes)


def find_warnings(
    site: Site, renderer: render.Renderer, content_dir: Path, label: str, strict: bool
) -> list[SiteError]:
    """What the build reports and goes on: broken links and what parsing noticed (all of the check if strict)."""
    if strict:
        return check.find_problems(site, renderer.site_map(), content_dir, label)
    return [*catalog.check_links(site, renderer.site_map(), label), *catalog.article_notes(site, label)]


def skipped_files(content_dir: Path, label: str | None = None) -> list[SiteError]:
    """One line for each markdown file (or folder of them) that is not built, saying why."""
    label = label or _label(content_dir)
    return [
        SkippedFile(f"{label}/{path}", None, why, hint)
        for path, why, hint in content.skipped_sources(content_dir)
    ]


def assemble_cached(settings: SiteConfig, articles: list[Article], drafts: bool, cache: BuildCache) -> Site:
    """catalog.assemble(), reusing the related-articles map when no article's relatedness inputs changed."""
    key = catalog.relatedness_key(articles, drafts)
    site = catalog.assemble(settings, articles, drafts, cache.related if key == cache.related_key else None)
    cache.dirty |= key != cache.related_key
    cache.related_key = key
    cache.related = {slug: tuple(a.slug for a in rel) for slug, rel in site.related.items()}
    return site


def check_site(content_dir: Path, *, drafts: bool = False) -> list[SiteError]:
    """The site check's findings; raise BuildFailed when the content cannot be read at all."""
    label = _label(content_dir)
    site = catalog.assemble(config.load_config(content_dir), load_articles(content_dir, label), drafts)
    return plan_site(site, content_dir, label, strict=True)[2]


def load_articles(
    content_dir: Path, label: str, cache: BuildCache | None = None, workers: int = 1
) -> list[Article]:
    """Read and parse every article (reusing cached ones whose file or text is unchanged); collect every error."""
    known = cache.articles if cache else {}
    stamps = cache.stamps if cache else {}
    new_stamps: dict[str, tuple[int, int, str]] = {}
    digests, todo = [], []
    for path in content.find_sources(content_dir):
        rel, (mtime, size) = path.relative_to(content_dir).as_posix(), content.file_stamp(path)
        old = stamps.get(rel)
        if old and old[:2] == (mtime, size) and old[2] in known:
            digest = old[2]
        else:
            source = content.read_source(content_dir, path)
            digest = source_digest(source)
            if digest not in known:
                todo.append(partial(_parse, source, label))
        digests.append(digest)
        new_stamps[rel] = (mtime, size, digest)
    results = run_all(todo, workers)
    parsed = {r.digest: r for r in results if isinstance(r, Article)}
    errors: list[SiteError] = [r for r in results if isinstance(r, SiteError)]
    # Cached as parsed: which of two folder pages gives way depends on the other files, not on its own text.
    as_parsed = [known.get(d) or parsed[d] for d in digests if d in known or d in parsed]
    articles = settle_folder_pages(as_parsed)
    errors += catalog.find_duplicates(articles, label)
    if errors:
        raise BuildFailed(errors)
    if cache is not None:
        cache.dirty |= bool(todo) or new_stamps != cache.stamps
        cache.articles, cache.stamps = {a.digest: a for a in as_parsed}, new_stamps
    return articles


def _place(problem: SiteError) -> tuple[str, int]:
    return problem.path, problem.line or 0


def _label(content_dir: Path) -> str:
    """How error messages name the content folder: as the user gave it (``content``)."""
    return content_dir.as_posix().rstrip("/") or "."


def _parse(source: Source, label: str) -> Article | SiteError:
    # Errors are returned, not raised, so one broken article does not hide the errors of the others.
    try:
        return parse_article(source, f"{label}/{source.path}")
    except SiteError as exc:
        return exc


def _steps(search: bool, finalize: Callable[[Path], None] | None) -> Callable[[Path], None] | None:
    steps = [step for step in (search_index.index_site if search else None, finalize) if step]

    def run(folder: Path) -> None:
        for step in steps:
            step(folder)

    return run if steps else None
