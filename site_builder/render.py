"""RENDER: Site -> HTML pages via Jinja2. The only Jinja2 user; returns OutputFiles and never writes.

Internal links are relative to the page, so the built site works from any host and any sub-path;
canonical and sharing URLs are absolute, from ``base_url``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import posixpath
import re
import sys
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from . import links as site_links
from .content import as_mapping
from .errors import TemplateError
from .model import (
    ALIAS_RANK,
    ARTICLE_RANK,
    LINK_PREFIX,
    Article,
    Folder,
    OutputFile,
    PagePlan,
    Site,
    folder_prefixes,
    slugify,
)
from .navigation import breadcrumbs, entries_view, shorten

HOME_SIZE = 30  # the newest articles on the home page; the A-Z page lists them all
THEME_TEMPLATES = Path(__file__).parent / "templates"
_MARKER = re.compile(rf'(href|src)="{LINK_PREFIX}([^"#?]*)([^"]*)"')


def make_environment(override_dir: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment: templates in ``content/templates/`` override the theme's by name."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir and override_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(override_dir))
    loaders.append(jinja2.FileSystemLoader(THEME_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = lambda d: f"{d.day} {d:%B %Y}" if d else ""
    return env


class Urls:
    """Turns a site path (``tags/culture/``) into a link from the current page."""

    def __init__(self, page_path: str, base_path: str, absolute: bool = False) -> None:
        depth = page_path.count("/")
        self.prefix = base_path if absolute else "../" * depth
        self.root = self.prefix or "./"

    def __call__(self, path: str) -> str:
        # A file or folder name may hold a space: the link must still be a valid URL.
        return self.prefix + site_links.valid_url(path) if path else self.root


class Renderer:
    """Plans and renders every HTML page of one site with one theme."""

    def __init__(
        self,
        site: Site,
        env: jinja2.Environment,
        assets: Mapping[str, str],
        code_version: str = "",
        other_files: frozenset[str] = frozenset(),
    ) -> None:
        self.site, self.env, self.assets = site, env, assets
        self.other_files = other_files  # what links may lead to besides pages: static files, feeds
        self._resolved: dict[str, dict[str, str | None]] = {}  # article source -> its links, resolved
        self._site_map: site_links.SiteMap | None = None
        # What a list shows of each article, digested once: a list's key then costs a join, not a deep repr.
        self._summary_keys = {
            a.slug: _digest(
                a.slug, a.title, a.meta.description, a.meta.date, _minutes(a, site), a.doc.summary[:160]
            )
            for a in site.articles
        }
        self.digest = _digest(
            code_version,
            repr(site.config),
            sorted(assets.items()),
            list(site.categories),
            _top_folders(site),  # in every page's header
            _templates_source(env),
        )

    def plans(self) -> list[PagePlan]:
        """Every HTML page, articles first; two plans may claim one path (see claims.settle)."""
        others = self._other_plans()
        self._site_map = self._map([p.path for p in others])
        return [*(self._article_plan(a) for a in self.site.articles), self._home_plan(), *others]

    def site_map(self) -> site_links.SiteMap:
        """What the site's links can lead to: every page, file and article anchor."""
        if self._site_map is None:
            self._site_map = self._map([p.path for p in self._other_plans()])
        return self._site_map

    def _map(self, other_pages: list[str]) -> site_links.SiteMap:
        pages = [*(f"{a.url}index.html" for a in self.site.articles), "index.html", *other_pages]
        return site_links.site_map(self.site, frozenset([*pages, *self.other_files]))

    def _other_plans(self) -> list[PagePlan]:
        """Alias redirects, folder lists, A-Z, tags, categories, search and 404: pages whose keys need no links."""
        site, plans = self.site, []
        for article in site.articles:
            for path in dict.fromkeys(filter(None, (alias_path(article, a) for a in article.meta.aliases))):
                plans.append(
                    PagePlan(
                        path,
                        self._key(path, article.slug, article.title),
                        partial(_redirect, site, self.env, path, article),
                        rank=ALIAS_RANK,
                        source=article.source,
                        line=article.meta.lines.get("aliases"),
                    )
                )
        for folder in site.folders.values():
            if folder.url and folder.page is None:
                plans.append(self._folder_plan(folder))
        plans.append(
            self._list(
                "articles/index.html",
                "az.html",
                site.articles,
                kind="az",
                title="All articles, A to Z",
                grouped=True,
            )
        )
        tags = [(t, f"tags/{slugify(t)}/", len(a)) for t, a in site.tags.items()]
        plans.append(self._plan("tags/index.html", "tags.html", tags, kind="tags", title="Tags", tags=tags))
        for name, group in site.tags.items():
            plans.append(
                self._list(
                    f"tags/{slugify(name)}/index.html",
                    "list.html",
                    group,
                    kind="tag",
                    title=f"Tagged \u201c{name}\u201d",
                    description=f"Articles tagged {name}.",
                )
            )
        for name, group in site.categories.items():
            plans.append(
                self._list(
                    f"categories/{slugify(name)}/index.html",
                    "list.html",
                    group,
                    kind="category",
                    title=name,
                    description=f"Articles in {name}.",
                )
            )
        plans.append(self._plan("search/index.html", "search.html", None, kind="search", title="Search"))
        plans.append(
            self._plan("404.html", "404.html", None, kind="404", title="Page not found", absolute=True)
        )
        return plans

    def _home_plan(self) -> PagePlan:
        site, home = self.site, self.site.home
        context: dict[str, Any] = {}
        if home is not None:
            urls = Urls("index.html", site.config.base_path)
            context["intro"] = Markup(self._resolve(home, urls))  # in the key as it is: links resolved
        return self._list(
            "index.html",
            "list.html",
            site.articles[:HOME_SIZE],
            kind="home",
            total=len(site.articles),
            title=home.title if home else site.config.title,
            description=(home.meta.description if home else "") or site.config.description,
            **context,
        )

    def _folder_plan(self, folder: Folder) -> PagePlan:
        path = f"{folder.url}index.html"
        urls = Urls(path, self.site.config.base_path)
        entries = entries_view(folder, urls)
        crumbs = breadcrumbs(self.site, folder.url, urls)
        data = (repr(folder.entries), [c[0] for c in crumbs])
        plan = self._plan(
            path,
            "section.html",
            data,
            kind="section",
            title=folder.title,
            description=f"The pages in {folder.title}.",
            entries=entries,
            breadcrumbs=crumbs,
            urls=urls,
        )
        return dataclasses.replace(plan, source=folder.url)  # named after its folder when it clashes

    def render_article(self, article: Article) -> OutputFile:
        """One article page (a folder's page lists the folder after its text)."""
        path = f"{article.url}index.html"
        urls = Urls(path, self.site.config.base_path)
        view = article_view(self.site, article, urls, self._resolve(article, urls))
        return _page(
            self.site,
            self.env,
            self.assets,
            path,
            "article.html",
            kind="article",
            title=article.title,
            description=view["description"],
            article=view,
            urls=urls,
        )

    def _article_plan(self, article: Article) -> PagePlan:
        # A plain string, not a repr of tuples: this runs for every article on every build.
        related = ",".join(self._summary_keys[a.slug] for a in self.site.related.get(article.slug, ()))
        path = f"{article.url}index.html"
        # A folder's page shows its entries and every page its breadcrumbs: their titles are in the key too.
        folder = self.site.folders.get(article.url)
        around = f"{folder.entries if folder else ''}|{self._crumb_titles(article.url)}"
        text = f"{self.digest}|{path}|{article.digest}|{related}|{self._targets(article)}|{around}"
        key = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        return PagePlan(
            path, key, partial(self.render_article, article), rank=ARTICLE_RANK, source=article.source
        )

    def _targets(self, article: Article) -> str:
        return ",".join(f"{k}>{v}" for k, v in self._links_of(article).items())

    def _links_of(self, article: Article) -> dict[str, str | None]:
        # Resolved once per article: for its page key when planning, then again when it is rendered.
        found = self._resolved.get(article.source)
        if found is None:
            found = self._resolved[article.source] = site_links.resolved(
                article.doc.links, article.url, self.site_map()
            )
        return found

    def _crumb_titles(self, url: str) -> str:
        folders = self.site.folders
        return "/".join(folders[p].title for p in folder_prefixes(url)[1:] if p in folders)

    def _resolve(self, article: Article, urls: Urls) -> str:
        return resolve_links(article.doc.html, urls, self._links_of(article))

    def _list(
        self,
        path: str,
        template: str,
        articles: tuple[Article, ...],
        *,
        grouped: bool = False,
        **context: Any,
    ) -> PagePlan:
        summary = "".join(self._summary_keys[a.slug] for a in articles)
        if grouped:
            context["groups"] = _alphabetical(articles)
        else:
            context["articles"] = articles
        return self._plan(path, template, summary, **context)

    def _plan(
        self, path: str, template: str, data: Any, *, absolute: bool = False, **context: Any
    ) -> PagePlan:
        # Every scalar the template sees (titles, the home page's article count, ...) is part of the key;
        # the lists it sees are summarised in ``data``.
        scalars = sorted((k, repr(v)) for k, v in context.items() if isinstance(v, str | int | bool))
        key = self._key(path, template, data, scalars)
        return PagePlan(
            path,
            key,
            partial(_page, self.site, self.env, self.assets, path, template, absolute=absolute, **context),
        )

    def _key(self, *parts: Any) -> str:
        return _digest(self.digest, *parts)


def article_view(site: Site, article: Article, urls: Urls, body_html: str) -> dict[str, Any]:
    """Plain data for the article template; ``body_html`` is the body with its links resolved."""
    meta, config = article.meta, site.config
    canonical = config.base_url + site_links.valid_url(article.url)
    return {
        "slug": article.slug,
        "source": article.source,
        "title": article.title,
        "description": meta.description or shorten(article.doc.summary, 160),
        "date": meta.date,
        "updated": meta.updated if meta.updated and meta.updated != meta.date else None,
        "minutes": _minutes(article, site),
        "words": article.doc.words,
        "authors": meta.authors or ((config.author,) if config.author else ()),
        "tags": [(t, urls(f"tags/{slugify(t)}/")) for t in meta.tags],
        "category": (meta.category, urls(f"categories/{slugify(meta.category)}/")) if meta.category else None,
        "toc": _toc(article),
        "html": Markup(body_html),
        "breadcrumbs": breadcrumbs(site, article.url, urls),
        "entries": entries_view(folder, urls) if (folder := site.folders.get(article.url)) else [],
        "references": Markup(article.doc.references_html),
        "see_also": [
            (a.title, urls(a.url), a.meta.description or shorten(a.doc.summary, 120))
            for a in site.related.get(article.slug, ())
        ],
        "canonical": canonical,
        "share": _share_links(canonical, article.title),
        "correction_url": correction_link(config.correction_url, article, canonical),
        "chat_endpoint": config.chat_endpoint,
        "meta": as_mapping(meta),
        "json_ld": Markup(_json_ld(article, canonical, config.author)),
    }


def resolve_links(html: str, urls: Urls, resolved: Mapping[str, str | None]) -> str:
    """Replace the markdown stage's ``folio:`` link markers with links relative to this page.

    ``resolved`` maps each marker's target to the site path it leads to; one that leads nowhere is written
    relative to the page all the same, so that it is as broken in the site as the check says it is.
    """
    by_marker = {site_links.valid_url(k): v for k, v in resolved.items()}

    def swap(match: re.Match[str]) -> str:
        attr, marker, tail = match.groups()
        path = by_marker.get(marker)
        if path is not None:
            href = urls(path)
        else:  # as written when relative, else from the site root
            href = marker[1:] if marker.startswith("~") else urls(marker.lstrip("/"))
        return f'{attr}="{href}{tail}"'

    return _MARKER.sub(swap, html)


def correction_link(template: str, article: Article, canonical: str) -> str:
    """Fill ``{source}``, ``{slug}``, ``{url}`` and ``{title}`` in the site's correction URL template."""
    if not template:
        return ""
    values = {"source": article.source, "slug": article.slug, "url": canonical, "title": article.title}
    for key, value in values.items():
        template = template.replace(
            "{" + key + "}", quote(value, safe="/" if key in ("source", "slug") else "")
        )
    return template


def _page(
    site: Site,
    env: jinja2.Environment,
    assets: Mapping[str, str],
    path: str,
    template: str,
    *,
    absolute: bool = False,
    urls: Urls | None = None,
    **context: Any,
) -> OutputFile:
    urls = urls or Urls(path, site.config.base_path, absolute)
    page_url = site.config.base_url + site_links.valid_url(path.removesuffix("index.html"))
    context.setdefault("description", site.config.description)
    if "articles" in context:
        context["articles"] = [_summary(a, urls, site) for a in context["articles"]]
    if "groups" in context:
        context["groups"] = [(k, [_summary(a, urls, site) for a in v]) for k, v in context["groups"]]
    data = render_template(
        env,
        template,
        site=site.config,
        page=dict(context, path=path, url=page_url),
        url=urls,
        asset=_asset_urls(assets, urls),
        nav=_nav(site, urls),
        **context,
    )
    return OutputFile(path=path, data=data.encode("utf-8"))


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render one template; a template problem becomes a TemplateError naming the template and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            exc.filename or exc.name or name, exc.lineno, f"template syntax: {exc.message}"
        ) from None
    except jinja2.TemplateError as exc:
        file, line = _template_frame(exc)
        raise TemplateError(file or name, line, f"template error: {exc}") from None


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__ or sys.exc_info()[2]
    while tb is not None:
        file = tb.tb_frame.f_code.co_filename
        if file.endswith((".html", ".xml", ".txt", ".j2")):
            found = (file, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _summary(article: Article, urls: Urls, site: Site) -> dict[str, Any]:
    return {
        "title": article.title,
        "url": urls(article.url),
        "description": article.meta.description or shorten(article.doc.summary, 160),
        "date": article.meta.date,
        "minutes": _minutes(article, site),
        "category": article.meta.category,
    }


def _minutes(article: Article, site: Site) -> int:
    return max(1, math.ceil(article.doc.words / site.config.words_per_minute))


def _asset_urls(assets: Mapping[str, str], urls: Urls) -> Callable[[str], str]:
    return lambda name: urls(assets[name])


def _nav(site: Site, urls: Urls) -> list[tuple[str, str]]:
    folders = _top_folders(site)
    # A category named like a top folder ("Guides" for guides/) would put one word in the header twice.
    taken = {title.casefold() for title, _ in folders}
    return [(title, urls(url)) for title, url in folders] + [
        (name, urls(f"categories/{slugify(name)}/"))
        for name in site.categories
        if name.casefold() not in taken
    ]


def _top_folders(site: Site) -> list[tuple[str, str]]:
    """The folders at the top of the site, in their order: the header links to them, as Hugo menus do."""
    root = site.folders.get("")
    return [(e.title, e.url) for e in root.entries if e.folder] if root else []


def _toc(article: Article) -> list[dict[str, Any]]:
    toc: list[dict[str, Any]] = []
    for h in article.doc.headings:
        if h.level == 2:
            toc.append({"text": h.text, "anchor": h.anchor, "children": []})
        elif h.level == 3 and toc:
            toc[-1]["children"].append({"text": h.text, "anchor": h.anchor})
    return toc


def _share_links(url: str, title: str) -> list[tuple[str, str]]:
    u, t = quote(url, safe=""), quote(title, safe="")
    return [
        ("Email", f"mailto:?subject={t}&body={u}"),
        ("Mastodon", f"https://mastodonshare.com/?text={t}&url={u}"),
        ("Bluesky", f"https://bsky.app/intent/compose?text={t}%20{u}"),
        ("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        ("Reddit", f"https://www.reddit.com/submit?url={u}&title={t}"),
    ]


def _json_ld(article: Article, canonical: str, site_author: str) -> str:
    meta = article.meta
    authors = meta.authors or ((site_author,) if site_author else ())
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": meta.description or shorten(article.doc.summary, 160),
        "url": canonical,
        "datePublished": meta.date.isoformat() if meta.date else None,
        "dateModified": (meta.updated or meta.date).isoformat() if (meta.updated or meta.date) else None,
        "author": [{"@type": "Person", "name": a} for a in authors],
        "keywords": list(meta.tags),
    }
    text = json.dumps({k: v for k, v in data.items() if v}, ensure_ascii=False)
    return text.replace("</", "<\\/")  # a title cannot close the script element


def _alphabetical(articles: tuple[Article, ...]) -> list[tuple[str, list[Article]]]:
    groups: dict[str, list[Article]] = {}
    for article in sorted(articles, key=lambda a: a.title.casefold()):
        letter = article.title[:1].upper()
        groups.setdefault(letter if letter.isalpha() else "#", []).append(article)
    return sorted(groups.items())


def _digest(*parts: Any) -> str:
    return hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()


def _templates_source(env: jinja2.Environment) -> str:
    loader = env.loader
    assert loader is not None
    names = sorted(loader.list_templates())
    return _digest(*(loader.get_source(env, name)[0] for name in names))


def alias_path(article: Article, alias: str) -> str | None:
    """The redirect page an alias asks for: ``/old/`` from the site root, ``old`` or ``../old`` from the
    article's folder (as Hugo reads it); None for the site root itself, which is the home page."""
    folder = "" if alias.startswith("/") else posixpath.dirname(article.source)
    path = posixpath.normpath(posixpath.join(folder, alias.strip("/")))
    while path.startswith("../"):
        path = path[3:]
    return None if path in (".", "..", "") else f"{path}/index.html"


def _redirect(site: Site, env: jinja2.Environment, path: str, article: Article) -> OutputFile:
    urls = Urls(path, site.config.base_path)
    data = render_template(
        env,
        "redirect.html",
        target=urls(article.url),
        title=article.title,
        canonical=site.config.base_url + article.url,
    )
    return OutputFile(path=path, data=data.encode("utf-8"))
