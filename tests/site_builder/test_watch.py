"""Watch mode on a tiny site in tmp_path: real files, a real observer, a real HTTP server on 127.0.0.1.

Every wait is on an event with a bounded timeout; no test asserts on how long anything took.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import lxml.html
import pytest

from site_builder import assets, changes, render
from site_builder.cli import echo
from site_builder.devserver import inject_script
from site_builder.watch import Ignore, PendingChanges, WatchSession, serve

WAIT = 20.0
TOML = 'title = "Watch Test"\nbase_url = "http://127.0.0.1:8000/"\n'
ALPHA = (
    "---\ntitle: Alpha\ndescription: The first one.\ndate: 2026-01-02\ntags: [letters]\n---\nAlpha body.\n"
)
BETA = "---\ntitle: Beta\ndescription: The second one.\ndate: 2026-01-03\n---\nBeta body.\n"
FILES = {"site.toml": TOML, "alpha.md": ALPHA, "beta.md": BETA, "static/extra.css": "p { color: red }\n"}


class EventReader:
    """Reads the SSE endpoint in a thread; tests take events from a queue with a timeout."""

    def __init__(self, url: str) -> None:
        self._queue: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(url + "__folio/events",))
        self._thread.start()
        self.hello = self.next("hello")

    def _read(self, url: str) -> None:
        name = ""
        try:
            with httpx.stream("GET", url, timeout=httpx.Timeout(WAIT, read=None)) as response:
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        self._queue.put((name, json.loads(line.removeprefix("data: "))))
        finally:
            self._queue.put(("closed", {}))

    def next(self, expected: str | None = None) -> dict[str, Any]:
        """The next event; fails when it has another name or none comes in time."""
        name, data = self._queue.get(timeout=WAIT)
        if expected:
            assert name == expected, (name, data)
        return data

    def until(self, name: str, check: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
        """Skip events until one named ``name`` passes ``check`` (a save may give an extra, empty rebuild)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            got, data = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            assert got != "closed", "the event stream ended"
            if got == name and check(data):
                return data
        raise AssertionError(f"no matching {name!r} event within {WAIT} s")

    def join(self) -> None:
        self._thread.join(WAIT)
        assert not self._thread.is_alive()


class Site:
    """A running watch session on a tiny site, with helpers to edit it and read it back."""

    def __init__(self, root: Path, files: dict[str, str], quiet: float) -> None:
        self.content = root / "content"
        self.out = root / "dist"
        for name, text in files.items():
            self.write(name, text)
        self.lines: list[str] = []
        # No theme folders: other work on the theme must not trigger rebuilds in these tests.
        self.session = WatchSession(self.content, self.out, echo=self._echo, quiet=quiet, theme_dirs=())
        self.session.start()
        self.url = self.session.url
        self.readers: list[EventReader] = []

    def _echo(self, line: str, error: bool) -> None:
        self.lines.append(line)

    def write(self, name: str, text: str) -> None:
        path = self.content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def events(self) -> EventReader:
        reader = EventReader(self.url)
        self.readers.append(reader)
        return reader

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=WAIT)

    def page(self, path: str) -> lxml.html.HtmlElement:
        response = self.get(path)
        assert response.status_code == 200, path
        return lxml.html.fromstring(response.content)

    def stop(self) -> None:
        self.session.stop()
        for reader in self.readers:
            reader.join()


@pytest.fixture
def start_site(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    before = set(threading.enumerate())
    sites: list[Site] = []

    def start(files: dict[str, str] = FILES, quiet: float = 0.05) -> Site:
        sites.append(Site(tmp_path, files, quiet))
        return sites[-1]

    yield start
    for site in sites:
        site.stop()
    assert set(threading.enumerate()) - before == set(), "a thread outlived its test"


def has_page(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda data: name in data["pages"]


# --- serving -------------------------------------------------------------------------------------------


def test_serves_pretty_urls_with_the_reload_script_only_in_responses(start_site) -> None:
    site = start_site()
    doc = site.page("alpha/")
    assert doc.findtext(".//h1") == "Alpha"
    [script] = doc.xpath("//script[@src='/__folio/reload.js']")
    assert script.get("data-page") == "alpha/index.html"
    assert b"__folio" not in (site.out / "alpha/index.html").read_bytes()
    assert site.page("").xpath("//script/@data-page") == ["index.html"]
    redirect = site.get("alpha")
    assert (redirect.status_code, redirect.headers["location"]) == (301, "/alpha/")
    missing = site.get("no/such/page/")
    assert missing.status_code == 404
    assert lxml.html.fromstring(missing.content).findtext(".//h1") == "Page not found"
    feed = site.get("feed.xml")
    assert feed.headers["content-type"] == "application/xml" and b"__folio" not in feed.content
    assert site.get("../../etc/passwd").status_code == 404
    assert "EventSource" in site.get("__folio/reload.js").text


def test_serves_under_the_base_path_of_base_url(start_site) -> None:
    site = start_site({**FILES, "site.toml": 'title = "T"\nbase_url = "https://example.org/docs/"\n'})
    assert site.page("docs/alpha/").findtext(".//h1") == "Alpha"
    assert site.page("alpha/").findtext(".//h1") == "Alpha"


def test_inject_script_goes_before_the_last_body_end() -> None:
    html = inject_script(b"<p>&lt;/body&gt;</p></BODY></html>", "a/index.html", 3)
    assert html.endswith(b'data-page="a/index.html" data-build="3"></script></BODY></html>')


# --- rebuilds and reload events ------------------------------------------------------------------------


def test_editing_an_article_reloads_its_page(start_site) -> None:
    site = start_site()
    events = site.events()
    assert events.hello == {"build": 1, "errors": []}
    site.write("alpha.md", ALPHA.replace("Alpha body.", "Alpha body, edited."))
    reload = events.until("reload", has_page("alpha/index.html"))
    assert "beta/index.html" not in reload["pages"] and not reload["full"]
    assert "Alpha body, edited." in site.page("alpha/").xpath("string(//div[@id='article-body'])")
    assert any(
        re.search(r"alpha\.md changed: 1 of \d+ pages changed, \d+ files in all in \d+ ms", line)
        for line in site.lines
    )


def test_created_deleted_and_renamed_articles(start_site) -> None:
    site = start_site()
    events = site.events()
    site.write("gamma.md", "---\ntitle: Gamma\n---\nNew.\n")
    reload = events.until("reload", has_page("gamma/index.html"))
    assert "index.html" in reload["pages"]
    assert site.page("gamma/").findtext(".//h1") == "Gamma"

    (site.content / "gamma.md").unlink()
    events.until("reload", has_page("gamma/index.html"))
    assert site.get("gamma/").status_code == 404

    (site.content / "alpha.md").rename(site.content / "delta.md")
    events.until("reload", lambda d: {"alpha/index.html", "delta/index.html"} <= set(d["pages"]))
    assert site.get("alpha/").status_code == 404
    assert site.page("delta/").findtext(".//h1") == "Alpha"


def test_a_folder_page_written_while_watching_replaces_the_generated_list(start_site) -> None:
    site = start_site({**FILES, "guides/one.md": "# One\n\nFirst.\n"})
    events = site.events()
    assert site.page("guides/").findtext(".//h1") == "Guides"  # generated
    site.write("guides/_index.md", '+++\ntitle = "All the guides"\n+++\nRead them.\n')
    reload = events.until("reload", has_page("guides/index.html"))
    assert "guides/one/index.html" in reload["pages"]  # its breadcrumbs name the folder anew
    guides = site.page("guides/")
    assert guides.findtext(".//h1") == "All the guides"
    assert [a.text for a in guides.xpath("//section[@class='entries']//a")] == ["One"]


def test_broken_front_matter_shows_the_error_until_fixed(start_site) -> None:
    site = start_site()
    events = site.events()
    site.write("alpha.md", ALPHA.replace("date: 2026-01-02", "date: soon"))
    failed = events.until("failed")
    [error] = failed["errors"]
    assert re.fullmatch(
        r"/.*/content/alpha\.md:4: 'date' must be a date like 2026-11-24, got \"soon\"", error
    )
    assert error in site.lines
    assert site.page("alpha/").findtext(".//h1") == "Alpha", "the last good build stays served"
    assert site.events().hello["errors"] == [error], "a page opened now shows the error too"

    site.write("alpha.md", ALPHA.replace("Alpha body.", "Fixed body."))
    events.until("reload", has_page("alpha/index.html"))
    assert site.events().hello["errors"] == []
    assert "Fixed body." in site.page("alpha/").xpath("string(//div[@id='article-body'])")


def test_template_override_reloads_every_page(start_site) -> None:
    site = start_site()
    events = site.events()
    base = (render.THEME_TEMPLATES / "base.html").read_text()
    site.write("templates/base.html", base.replace("<main", '<p class="marker">Overridden</p>\n<main'))
    pages = {"index.html", "alpha/index.html", "beta/index.html"}
    events.until("reload", lambda d: pages <= set(d["pages"]))
    assert site.page("beta/").xpath("//p[@class='marker']/text()") == ["Overridden"]


def test_stylesheet_change_swaps_it_without_reloading(start_site) -> None:
    site = start_site()
    events = site.events()
    site.write("static/extra.css", "p { color: blue }\n")
    reload = events.until("reload", lambda d: d["styles"])
    assert reload == {
        "build": reload["build"],
        "pages": [],
        "styles": {"/extra.css": "/extra.css"},
        "full": False,
    }
    assert site.get("extra.css").text == "p { color: blue }\n"


def test_a_burst_of_saves_gives_one_rebuild_and_temp_files_are_ignored(start_site) -> None:
    site = start_site(quiet=0.3)
    events = site.events()
    # An editor's safe save: swap file, vim's write test, a backup, then a temp file renamed over the article.
    for name in (".alpha.md.swp", "4913", "alpha.md~", ".#alpha.md"):
        site.write(name, "junk")
    site.write("alpha.md.tmp", ALPHA.replace("Alpha body.", "Saved safely."))
    os.replace(site.content / "alpha.md.tmp", site.content / "alpha.md")
    site.write("beta.md", BETA.replace("Beta body.", "Also changed."))
    reload = events.next("reload")
    assert {"alpha/index.html", "beta/index.html"} <= set(reload["pages"])
    # A marker save after the burst: the only reload before its own is the burst's one.
    site.write("static/extra.css", "p { color: green }\n")
    assert events.next("reload")["styles"] == {"/extra.css": "/extra.css"}


# --- serve(), the command's entry point ----------------------------------------------------------------


def test_serve_runs_until_ctrl_c(tmp_path: Path, capsys) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for name, text in FILES.items():
        (content / name).parent.mkdir(exist_ok=True)
        (content / name).write_text(text)
    port = _free_port()
    seen: list[int] = []

    def visit_then_interrupt() -> None:
        try:
            with httpx.Client(transport=httpx.HTTPTransport(retries=50), timeout=WAIT) as client:
                seen.append(client.get(f"http://127.0.0.1:{port}/alpha/").status_code)
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=visit_then_interrupt)
    helper.start()
    assert serve(content, tmp_path / "dist", host="127.0.0.1", port=port, drafts=False, echo=echo) == 0
    helper.join(WAIT)
    assert seen == [200]
    out = capsys.readouterr().out
    assert f"Serving http://127.0.0.1:{port}/" in out and "Stopping." in out


def test_serve_reports_a_port_in_use(tmp_path: Path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve(tmp_path, tmp_path / "dist", host="127.0.0.1", port=port, drafts=False, echo=echo) == 2
    assert f"error: cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the pieces ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("content/a.md", "content"),
        ("content/guides/b.md", "content"),
        ("content/guides", "content"),
        ("content/site.toml", "config"),
        ("content/templates/base.html", "template"),
        ("content/static/img/x.png", "static"),
        ("content/notes.txt", "static"),  # copied beside the articles
        ("content/.a.md.swp", None),
        ("content/a.md~", None),
        ("content/4913", None),
        ("content/.#a.md", None),
        ("content/#a.md#", None),
        ("content/.git/index", None),
        ("content/dist/index.html", None),
        ("content/.dist.new-x1/a/index.html", None),
        ("elsewhere/a.md", None),
    ],
)
def test_which_paths_matter(tmp_path: Path, name: str, kind: str | None) -> None:
    ignore = Ignore(tmp_path / "content", tmp_path / "content" / "dist")
    assert ignore.kind(tmp_path / name) == kind


def test_theme_files_are_watched_too(tmp_path: Path) -> None:
    ignore = Ignore(tmp_path / "content", tmp_path / "dist")
    assert ignore.kind(render.THEME_TEMPLATES / "base.html") == "theme"
    assert ignore.kind(assets.THEME_STATIC / "style.css") == "theme"


def test_pending_changes_come_out_as_one_batch() -> None:
    pending = PendingChanges(quiet=0.01)
    pending.add("/c/a.md", "content")
    pending.add("/c/a.md", "content")
    pending.add("/c/site.toml", "config")
    assert pending.next_batch() == {"/c/a.md": "content", "/c/site.toml": "config"}
    pending.close()
    assert pending.next_batch() is None


def test_a_theme_stylesheet_change_is_a_swap_not_a_reload(tmp_path: Path) -> None:
    page = '<link rel="stylesheet" href="/assets/style.{}.css"><p>Same</p>'
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(page.format("aaaaaaaaaa"))
    (tmp_path / "assets/style.aaaaaaaaaa.css").write_text("a{}")
    before = changes.snapshot(tmp_path, {})
    (tmp_path / "index.html").write_text(page.format("bbbbbbbbbb"))
    (tmp_path / "assets/style.aaaaaaaaaa.css").rename(tmp_path / "assets/style.bbbbbbbbbb.css")
    (tmp_path / "assets/style.bbbbbbbbbb.css").write_text("b{}")
    diff = changes.compare(before, changes.snapshot(tmp_path, before))
    assert diff.changed == ("assets/style.bbbbbbbbbb.css",)
    assert diff.removed == ("assets/style.aaaaaaaaaa.css",)
    reload = changes.plan_reload(diff, "/blog/")
    assert reload.styles == {"/blog/assets/style.aaaaaaaaaa.css": "/blog/assets/style.bbbbbbbbbb.css"}
    assert (reload.pages, reload.full) == ([], False)


def test_a_script_change_reloads_every_page() -> None:
    diff = changes.OutputChanges(changed=("assets/site.bbbbbbbbbb.js", "feed.xml"), removed=())
    assert changes.plan_reload(diff, "/").full
    assert not changes.plan_reload(changes.OutputChanges(changed=("feed.xml",), removed=()), "/").full
