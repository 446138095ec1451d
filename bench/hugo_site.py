"""A minimal Hugo site equivalent to Folio's default theme, for the side-by-side build benchmark.

It renders what Folio renders per article (title, description, date, reading time, tags, table of contents,
body with footnotes and highlighted code, related articles) plus home, tag and category pages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CONFIG = """
baseURL = "https://example.org/"
title = "Bench"
disableKinds = ["RSS"]
[taxonomies]
  tag = "tags"
  category = "category"
[markup.goldmark.extensions]
  typographer = true
  footnote = true
  table = true
[markup.highlight]
  noClasses = false
[markup.tableOfContents]
  startLevel = 2
  endLevel = 3
[related]
  includeNewer = true
  threshold = 1
  [[related.indices]]
    name = "tags"
    weight = 100
"""

LAYOUTS = {
    "_default/baseof.html": """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }}</title><meta name="description" content="{{ .Description }}"></head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Description }}</p>
<p>{{ .Date.Format "2 January 2006" }} · {{ .ReadingTime }} min read</p>
<ul>{{ range .Params.tags }}<li><a href="{{ "/tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a></li>{{ end }}</ul>
<nav>{{ .TableOfContents }}</nav><div>{{ .Content }}</div>
{{ with site.RegularPages.Related . | first 5 }}<h2>See also</h2><ul>{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
</article>{{ end }}""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ range .Pages.ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Description }} {{ .ReadingTime }} min read</li>{{ end }}</ol>{{ end }}""",
}


def make_hugo_site(corpus: Path, target: Path) -> Path:
    """A Hugo site under ``target`` whose content is a copy of the corpus's articles."""
    if target.exists():
        shutil.rmtree(target)
    (target / "content").mkdir(parents=True)
    (target / "hugo.toml").write_text(CONFIG)
    for name, text in LAYOUTS.items():
        path = target / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for article in sorted(corpus.glob("*.md")):
        shutil.copyfile(article, target / "content" / article.name)
    return target
