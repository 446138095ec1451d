"""Two small documentation trees in the shapes other generators use, written for these tests.

HUGO: ``content/`` with ``_index.md`` section files, TOML (``+++``) and YAML (``---``) front matter, Hugo's
keys (weight, linkTitle, lastmod, summary, keywords), aliases (two articles claim one), shortcodes, a page
whose body is only shortcodes, root-relative links (with and without the trailing slash), a partial.
MKDOCS: ``docs/`` with ``index.md`` files, admonitions (and Material's ``???``), relative ``.md`` links.
Every broken link is planted on a known line: BROKEN_* list them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

HUGO_TOML = 'title = "Hugo-shaped docs"\nbase_url = "https://example.org/docs/"\n'

HUGO = {
    "_index.md": """
        +++
        title = "Handbook"
        description = "Everything about the tool."
        +++
        Welcome. Start with [the install guide](/getting-started/install/).
        """,
    "getting-started/_index.md": """
        ---
        title: Getting started
        linkTitle: Start
        weight: 1
        description: First steps.
        ---
        Read these pages in order.
        """,
    "getting-started/install.md": """
        +++
        title = "Install"
        weight = 1
        date = 2024-01-05
        lastmod = "2024-02-01T10:00:00Z"
        keywords = ["setup", "install"]
        aliases = ["/old/install/"]
        +++
        Run the installer.

        See [configuration](/configuration/build/) and [the same](/configuration/build).
        Then read [first steps](../first-steps/) and [the guide](first-steps.md#run-it).

        ## Options

        {{< note >}}
        Options are *optional*.
        {{< /note >}}

        {{< figure src="diagram.png" title="Flow" >}}

        Broken: [nowhere](/nowhere/) and [no anchor](/configuration/build/#missing).
        """,
    "getting-started/first-steps.md": """
        ---
        title: First steps
        weight: 2
        summary: The first things to do.
        aliases: [/old/install/]
        ---
        ## Run it

        Type `tool run`. Back to [install]({{< ref "install" >}}).

        Broken: [gone](../gone/).

        More in [input and output](/configuration/build/#input--output).
        """,
    "configuration/build.md": """
        ---
        title: Build settings
        ---
        ## Output

        Where files go. Up to [the handbook](/). See [input](#input--output), as Hugo names it.

        ## Input & output

        ```go-html-template {file="layouts/list.html" copy=true}
        <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>
        ```
        """,
    "configuration/shortcodes-only.md": """
        +++
        title = "Reference card"
        description = "A card drawn by a shortcode."
        +++
        {{< reference-card >}}
        """,
    "configuration/deep/nested/page.md": """
        # Nested page

        Deep inside. Broken: [missing article](../../missing.md).
        """,
    "_partial.md": "Included by a template elsewhere.\n",
    "guides/bundle/index.md": """
        ---
        title: A page bundle
        ---
        ![A photo](photo.jpg)
        """,
    "guides/bundle/photo.jpg": "a photo\n",
}

# (file, line, the link as written): every link in HUGO that leads nowhere.
BROKEN_HUGO = [
    ("configuration/deep/nested/page.md", 3, "../../missing.md"),
    ("getting-started/first-steps.md", 11, "../gone/"),
    ("getting-started/install.md", 22, "/nowhere/"),
    ("getting-started/install.md", 22, "/configuration/build/#missing"),
]

MKDOCS = {
    "index.md": """
        # Project docs

        Welcome. Read the [user guide](user-guide/index.md) or [about](about.md).

        ![A screenshot](img/shot.png)
        """,
    "img/shot.png": "a screenshot\n",
    "about.md": """
        ---
        title: About
        description: Who makes it.
        ---
        !!! note "History"
            Started in 2019.

        See [the guide's install page](user-guide/install.md#requirements).
        """,
    "user-guide/index.md": """
        # User guide

        This guide covers [installing](install.md) and [writing](writing.md).

        ??? tip "Collapsed"
            Hidden at first.
        """,
    "user-guide/install.md": """
        # Install

        ## Requirements

        Python. Back to [the home page](../index.md) and [about](../about.md#history-missing).
        ![A screenshot](../img/shot.png)

        ::: project.installer
            options:
              show_source: false
        """,
    "user-guide/writing.md": """
        # Writing

        | Column | Meaning |
        |--------|---------|
        | a      | first   |

        ```python
        def write(text):
            return text
        ```

        Up: [guide](./index.md). Broken: [nothing](../nothing.md).
        """,
}

BROKEN_MKDOCS = [
    ("user-guide/install.md", 5, "../about.md#history-missing"),
    ("user-guide/writing.md", 12, "../nothing.md"),
]


def write_tree(root: Path, files: dict[str, str], toml: str | None = None) -> Path:
    """Write ``{relative path: text}`` (dedented) below ``root``, and ``site.toml`` if given; return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    if toml is not None:
        (root / "site.toml").write_text(toml, encoding="utf-8")
    return root
