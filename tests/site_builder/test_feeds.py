"""The Atom feed, sitemap.xml, robots.txt, sharing metadata and alias redirects, as machines read them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urljoin

import lxml.etree

from site_builder.build import build

from .samples import ARTICLE, LIGHT, page

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://example.org/docs/"

MOVED = """
---
title: Moved <here> & "there"
description: An article with two old addresses.
date: 2026-01-02
aliases: [old/moved, /2019/moved/]
---
Text.
"""

UNDATED = "---\ntitle: Undated\ndescription: No date.\n---\nText."


def xml(out: Path, name: str) -> lxml.etree._Element:
    # A real XML parser, strict about namespaces and well-formedness; no network for entities.
    return lxml.etree.fromstring((out / name).read_bytes(), lxml.etree.XMLParser(resolve_entities=False))


def stamp(text: str) -> dt.datetime:
    """An RFC 3339 date-time, as Atom requires: raises on anything else."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def site_files(built) -> Path:  # type: ignore[no-untyped-def]
    out, _ = built({"celebration.md": ARTICLE, "light.md": LIGHT, "moved.md": MOVED, "undated.md": UNDATED})
    return out


def test_feed_is_atom_with_every_required_element(built) -> None:
    feed = xml(site_files(built), "feed.xml")
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Test Site"
    assert feed.findtext(f"{ATOM}id") == BASE
    assert stamp(feed.findtext(f"{ATOM}updated")).tzinfo is not None
    assert feed.xpath("a:link[@rel='self']/@href", namespaces={"a": ATOM[1:-1]}) == [BASE + "feed.xml"]
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Festivals of light",
        "Celebration",
        'Moved <here> & "there"',
        "Undated",
    ]
    for entry in entries:
        assert entry.findtext(f"{ATOM}id").startswith(BASE)
        assert entry.find(f"{ATOM}link").get("href") == entry.findtext(f"{ATOM}id")
        stamp(entry.findtext(f"{ATOM}updated"))
        # RFC 4287: every entry has an author, its own or the feed's.
        assert entry.findtext(f"{ATOM}author/{ATOM}name") or feed.findtext(f"{ATOM}author/{ATOM}name")
        assert entry.findtext(f"{ATOM}summary")


def test_feed_entry_dates_and_tags_come_from_front_matter(built) -> None:
    feed = xml(site_files(built), "feed.xml")
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "Celebration")
    assert entry.findtext(f"{ATOM}published") == "2026-03-14T00:00:00Z"
    assert entry.findtext(f"{ATOM}updated") == "2026-10-02T00:00:00Z"
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["culture", "festivals"]
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Ada Marsh"
    assert entry.findtext(f"{ATOM}summary") == "Why people celebrate."
    assert feed.findtext(f"{ATOM}updated") == "2026-10-02T00:00:00Z"


def test_feed_keeps_only_the_newest_articles(built) -> None:
    out, _ = built({"celebration.md": ARTICLE, "light.md": LIGHT, "moved.md": MOVED})
    assert len(xml(out, "feed.xml").findall(f"{ATOM}entry")) == 3
    (out.parent / "content" / "site.toml").write_text(f'base_url = "{BASE}"\nfeed_size = 1\n')
    build(out.parent / "content", out)
    titles = [e.findtext(f"{ATOM}title") for e in xml(out, "feed.xml").iter(f"{ATOM}entry")]
    assert titles == ["Festivals of light"]


def test_every_sitemap_url_exists_in_the_output(built) -> None:
    out = site_files(built)
    urls = xml(out, "sitemap.xml")
    assert urls.tag == f"{SITEMAP}urlset"
    locs = [u.findtext(f"{SITEMAP}loc") for u in urls.iter(f"{SITEMAP}url")]
    assert locs and len(locs) == len(set(locs))
    for loc in locs:
        assert loc.startswith(BASE), loc
        assert (out / loc.removeprefix(BASE) / "index.html").is_file(), loc
    assert BASE + "celebration/" in locs and BASE in locs and BASE + "tags/festivals/" in locs


def test_sitemap_leaves_out_redirects_and_the_404_page(built) -> None:
    locs = [u.findtext(f"{SITEMAP}loc") for u in xml(site_files(built), "sitemap.xml").iter(f"{SITEMAP}url")]
    assert not [loc for loc in locs if "old/" in loc or "2019/" in loc or "404" in loc]


def test_sitemap_lastmod_is_updated_or_date(built) -> None:
    urls = xml(site_files(built), "sitemap.xml").iter(f"{SITEMAP}url")
    lastmod = {u.findtext(f"{SITEMAP}loc").removeprefix(BASE): u.findtext(f"{SITEMAP}lastmod") for u in urls}
    assert lastmod["celebration/"] == "2026-10-02"  # updated wins over date
    assert lastmod["light/"] == "2026-04-01"
    assert lastmod["undated/"] is None
    assert lastmod[""] is None


def test_robots_txt_points_at_the_sitemap(built) -> None:
    lines = (site_files(built) / "robots.txt").read_text().splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {BASE}sitemap.xml" in lines


def test_alias_pages_redirect_to_the_article(built) -> None:
    out = site_files(built)
    for alias in ("old/moved", "2019/moved"):
        doc = page(out, f"{alias}/index.html")
        refresh = doc.xpath("//meta[@http-equiv='refresh']/@content")[0]
        delay, _, target = refresh.partition("; url=")
        assert delay == "0"
        assert urljoin(f"{BASE}{alias}/", target) == BASE + "moved/"
        assert urljoin(f"{BASE}{alias}/", doc.xpath("//body//a/@href")[0]) == BASE + "moved/"
        assert doc.xpath("//link[@rel='canonical']/@href") == [BASE + "moved/"]
        assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]
        assert doc.findtext(".//title") == 'Moved <here> & "there"'


def test_every_page_has_canonical_and_sharing_tags(built) -> None:
    out = site_files(built)
    for path, url in (
        ("celebration/index.html", "celebration/"),
        ("index.html", ""),
        ("tags/index.html", "tags/"),
    ):
        doc = page(out, path)
        assert doc.get("lang") == "en"
        assert doc.xpath("//link[@rel='canonical']/@href") == [BASE + url]
        assert doc.xpath("//meta[@property='og:url']/@content") == [BASE + url]
        assert doc.xpath("//meta[@property='og:title']/@content")
        assert doc.xpath("//meta[@name='twitter:card']/@content") == ["summary"]
        assert doc.xpath("//meta[@name='twitter:title']/@content")
    article = page(out, "celebration/index.html")
    assert article.xpath("//meta[@property='og:type']/@content") == ["article"]
    assert article.xpath("//meta[@property='og:description']/@content") == ["Why people celebrate."]
    assert article.xpath("//meta[@name='twitter:description']/@content") == ["Why people celebrate."]
    assert article.xpath("//link[@rel='alternate'][@type='application/atom+xml']/@href") == ["../feed.xml"]


def test_articles_carry_json_ld(built) -> None:
    out = site_files(built)
    scripts = page(out, "moved/index.html").xpath("//script[@type='application/ld+json']/text()")
    data = json.loads(scripts[0])
    assert data["@type"] == "Article" and data["@context"] == "https://schema.org"
    assert data["headline"] == 'Moved <here> & "there"'
    assert data["description"] == "An article with two old addresses."
    assert data["datePublished"] == data["dateModified"] == "2026-01-02"
    assert data["url"] == BASE + "moved/"
    celebration = json.loads(
        page(out, "celebration/index.html").xpath("//script[@type='application/ld+json']/text()")[0]
    )
    assert celebration["dateModified"] == "2026-10-02"
    assert celebration["author"] == [{"@type": "Person", "name": "Ada Marsh"}]
    assert not page(out, "index.html").xpath("//script[@type='application/ld+json']")
