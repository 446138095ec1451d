"""CONVERT: an article body in markdown -> Document. The only user of Python-Markdown.

Links to other articles (``.md`` paths, root-relative URLs) are rewritten to ``folio:`` markers by links.py,
resolved to real URLs when a page is rendered, so converting an article needs no other article.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any
from xml.etree.ElementTree import Element

import markdown as md_lib
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from . import links
from .model import Document, Heading, Link, Section
from .typography import smarten_tree

_STASH = re.compile("\x02wzxhzdk:(\\d+)\x03")
_TAGS = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[^\W\d_]{4,}")
_LEADING_H1 = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|\Z)")
_HEADINGS = {"h2": 2, "h3": 3, "h4": 4}
# What markdown may set on the elements it makes. Another generator's attribute lists (Hugo's
# {anchor=false}, {filename="x"}) would otherwise become attributes that HTML does not have.
_ATTRIBUTES = frozenset(
    "id class style title lang dir role tabindex href src alt width height name target rel colspan rowspan "
    "align start type value open datetime cite loading reversed hidden".split()
)
_STOP = frozenset(
    "that this with from have were which their there they them then than these those into about also been "
    "when what where while would could should other such more most some many much very only over after "
    "before between each every being because through during under among your just like make made does".split()
)


def convert(body: str, source: str, body_line: int = 1) -> Document:
    """Convert an article body; ``source`` is its path below content/, ``body_line`` the line it starts on."""
    md = _markdown()
    md.reset()
    collector: _Collector = md.treeprocessors["folio"]  # type: ignore[assignment]
    collector.start(source, body, body_line)
    text = md.convert(body)
    main, _, notes = text.rpartition('<div class="footnote">')
    if not main:
        main, notes = notes, ""
    references = re.sub(r"<hr\s*/?>", "", notes).strip().removesuffix("</div>").strip()
    main, found = links.collect(_label_code(main.strip()), source, collector.line_of)
    references, cited = links.collect(_label_code(_unwrap_code(references)), source, collector.line_of)
    return collector.finish(main, references, found + cited)


# A note that ends in a code block gets its back links in a <p> around the block: invalid, so the block leaves it.
_WRAPPED_CODE = re.compile(
    r'<p>(<div class="highlight">.*?</div>)((?:&#160;)?(?:<a class="footnote-backref"[^>]*>[^<]*</a>)+)</p>',
    re.S,
)


def _unwrap_code(text: str) -> str:
    return _WRAPPED_CODE.sub(r"\1<p>\2</p>", text)


def _label_code(text: str) -> str:
    # A code block scrolls sideways when a line is long: it must take keyboard focus and have a name.
    return text.replace(
        '<div class="highlight">', '<div class="highlight" tabindex="0" role="group" aria-label="Code">'
    )


def split_title(body: str) -> tuple[str | None, str, int]:
    """Take a leading ``# Title`` line off a body: (title or None, rest, lines removed)."""
    match = _LEADING_H1.match(body)
    if not match:
        return None, body, 0
    return match.group(1).strip(), body[match.end() :], body.count("\n", 0, match.end())


_INSTANCE: md_lib.Markdown | None = None


def _markdown() -> md_lib.Markdown:
    # One instance per process, reset between articles: building one costs more than converting a short page.
    global _INSTANCE
    if _INSTANCE is None:
        _INSTANCE = md_lib.Markdown(
            extensions=[
                "tables",
                # superfences: a fence inside a list item or a definition is a code block too (as in MkDocs)
                "pymdownx.superfences",
                "footnotes",
                "attr_list",
                "def_list",
                "abbr",
                "md_in_html",
                "admonition",
                "sane_lists",
                "pymdownx.highlight",
                "toc",
                _FolioExtension(),
            ],
            extension_configs={
                "pymdownx.highlight": {"css_class": "highlight", "guess_lang": False},
                "toc": {
                    "permalink": "#",
                    "permalink_class": "anchor",
                    "permalink_title": "Link to this section",
                    "toc_depth": "2-4",
                },
                "footnotes": {"BACKLINK_TITLE": "Back to the text"},
            },
            output_format="html",
        )
    return _INSTANCE


class _FolioExtension(Extension):
    def extendMarkdown(self, md: md_lib.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        # Priority -1: after the toc (5) has set ids and the unescape step (0) has restored escaped characters.
        md.treeprocessors.register(_Collector(md), "folio", -1)


class _Collector(Treeprocessor):
    """Walks the finished tree once: rewrites article links, gathers headings, sections, links and ids."""

    def start(self, source: str, body: str, body_line: int) -> None:
        self.source, self.body, self.body_line = source, body, body_line
        self.headings: list[Heading] = []
        self.ids: set[str] = set()
        self.sections: list[dict[str, Any]] = [{"heading": "", "anchor": "", "level": 1, "parts": []}]
        self.summary = ""
        self.search_from: dict[str, int] = {}

    def run(self, root: Element) -> None:
        smarten_tree(root)
        for el in root.iter():
            if el.get("id"):
                self.ids.add(el.get("id", ""))
            if el.tag == "table":
                el.set("tabindex", "0")  # a wide table scrolls (style.css): the keyboard must reach it
            elif el.tag == "th" and not "".join(el.itertext()).strip():
                el.tag = (
                    "td"  # an empty header cell (| | a |) heads nothing: screen readers would announce it
                )
            for name in [
                n for n in el.attrib if n not in _ATTRIBUTES and not n.startswith(("data-", "aria-"))
            ]:
                del el.attrib[name]
        for child in root:
            if "footnote" in child.get("class", "").split():
                continue
            level = _HEADINGS.get(child.tag)
            if level and child.get("id"):
                title = self._heading_text(child)
                self.headings.append(Heading(level=level, text=title, anchor=child.get("id", "")))
                self._alias_anchor(child, title)
                if level <= 3:
                    self.sections.append(
                        {"heading": title, "anchor": child.get("id"), "level": level, "parts": []}
                    )
                    continue
            text = self._plain(child)
            if text:
                self.sections[-1]["parts"].append(text)
                if not self.summary and child.tag == "p":
                    self.summary = " ".join(text.split())

    def _alias_anchor(self, heading: Element, title: str) -> None:
        # Hugo and GitHub name "People & Body" #people--body, Python-Markdown #people-body: links written for
        # either find the heading, through an empty element that carries the other id.
        other = github_anchor(title)
        if other and other not in self.ids:
            alias = Element("span", {"id": other})
            alias.tail, heading.text = heading.text, None
            heading.insert(0, alias)
            self.ids.add(other)

    def finish(self, html_text: str, references: str, found: tuple[Link, ...]) -> Document:
        sections = tuple(
            Section(heading=s["heading"], anchor=s["anchor"], level=s["level"], text="\n\n".join(s["parts"]))
            for s in self.sections
            if s["parts"] or s["level"] > 1
        )
        words = [w for s in sections for w in s.text.split()]
        counts = Counter(w.lower() for w in _WORD.findall(" ".join(words)))
        keywords = tuple(w for w, _ in counts.most_common(60) if w not in _STOP)[:30]
        return Document(
            html=html_text,
            references_html=references,
            headings=tuple(self.headings),
            sections=sections,
            links=found,
            ids=frozenset(self.ids),
            words=len(words),
            summary=self.summary,
            keywords=keywords,
        )

    def line_of(self, needle: str) -> int:
        # The same link twice in one article: each occurrence gets its own line.
        at = self.body.find(needle, self.search_from.get(needle, 0))
        if at < 0:  # used again through a reference definition: the line where it is written
            at = self.body.find(needle)
        if at < 0:
            return self.body_line
        self.search_from[needle] = at + len(needle)
        return self.body_line + self.body.count("\n", 0, at)

    def _heading_text(self, el: Element) -> str:
        return self._unstash(" ".join("".join(_text_of(el)).split()))

    def _plain(self, el: Element) -> str:
        if el.tag in ("ul", "ol"):
            return "\n".join(f"- {self._plain(li)}" for li in el if li.tag == "li")
        if el.tag == "table":
            return "\n".join(" | ".join(self._inline(c) for c in row) for row in el.iter("tr"))
        if el.tag in ("div", "dl", "blockquote"):
            return "\n".join(filter(None, (self._plain(c) for c in el)))
        return self._inline(el)

    def _inline(self, el: Element) -> str:
        raw = "".join(_text_of(el))
        text = self._unstash(raw)
        # A paragraph that is only a stash placeholder is a code block: keep its lines.
        keep_lines = el.tag == "pre" or _STASH.fullmatch(raw.strip()) is not None
        return text.strip() if keep_lines else " ".join(text.split())

    def _unstash(self, text: str) -> str:
        blocks = self.md.htmlStash.rawHtmlBlocks

        def swap(match: re.Match[str]) -> str:
            index = int(match.group(1))
            raw = str(blocks[index]) if index < len(blocks) else ""
            return html.unescape(_TAGS.sub("", raw))

        return _STASH.sub(swap, text)


def github_anchor(title: str) -> str:
    """A heading's id as Hugo (its default, "github") and GitHub make it: ``People & Body`` -> ``people--body``."""
    kept = (
        c.lower() if c.isalnum() else "-" if c in " -" else c
        for c in title.strip()
        if c.isalnum() or c in " -_"
    )
    return "".join(kept)


def _text_of(el: Element):  # type: ignore[no-untyped-def]
    """Like itertext(), without permalink marks and footnote numbers."""
    if el.text:
        yield el.text
    for child in el:
        if child.get("class") != "anchor" and not (
            child.tag == "sup" and child.get("id", "").startswith("fnref")
        ):
            yield from _text_of(child)
        if child.tail:
            yield child.tail
