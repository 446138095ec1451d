from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.build import check_site
from site_builder.cli import main
from site_builder.errors import BuildFailed

from .samples import ARTICLE, LIGHT

# Line numbers count the front matter: line 1 is the opening ---.
PROBLEMS = """
---
title: Alpha
description: The first article.
---
Intro.

See [nowhere](nowhere.md) for more.

And [a missing anchor](b.md#nope).

![](pics/one.png)

![A chart](pics/two.png)

![ ](pics/two.png)

<img src="raw.png">

```markdown
![](in-code.png) is only an example
```
"""

DUPLICATE = """
---
title: ALPHA
---
## Real

Text.
"""


def findings(content: Path, **options: bool) -> list[str]:
    """Each finding as its first line, ``path:line: message``, with the content folder shown as ``C``."""
    found = check_site(content, drafts=options.get("drafts", False))
    return [str(p).splitlines()[0].replace(content.as_posix(), "C") for p in found]


def test_each_planted_problem_is_found_at_its_line(site) -> None:
    content = site({"a.md": PROBLEMS, "b.md": DUPLICATE})
    assert findings(content) == [
        "C/a.md:7: link to a missing article: nowhere.md",
        "C/a.md:9: link to a missing anchor: b.md#nope",
        "C/a.md:11: image not found: pics/one.png",
        "C/a.md:11: image without alt text: pics/one.png",
        "C/a.md:13: image not found: pics/two.png",
        "C/a.md:15: image not found: pics/two.png",
        "C/a.md:15: image without alt text: pics/two.png",
        "C/a.md:17: image not found: raw.png",
        "C/a.md:17: image without alt text: raw.png",
        "C/b.md:2: article has no description",
        "C/b.md:2: the title “ALPHA” is also used by C/a.md",
    ]


def test_findings_carry_a_hint(site) -> None:
    content = site({"a.md": PROBLEMS, "b.md": DUPLICATE})
    hints = {p.message.split(":")[0]: p.hint for p in check_site(content, drafts=False)}
    assert hints["link to a missing anchor"] == "anchors there: #real"
    assert "description:" in hints["article has no description"]
    assert "![what it shows](address)" in hints["image without alt text"]


def test_front_matter_without_description_is_reported_at_its_title(site) -> None:
    content = site({"note.md": "---\nauthors: [A]\ntitle: A note\n---\nText.\n"})
    assert findings(content) == ["C/note.md:3: article has no description"]


def test_a_clean_site_has_no_findings(site) -> None:
    assert findings(site({"celebration.md": ARTICLE, "light.md": LIGHT})) == []


def test_drafts_are_checked_only_when_asked(site) -> None:
    content = site({"a.md": "---\ndescription: A.\n---\nText.", "wip.md": "---\ndraft: true\n---\nSoon."})
    assert findings(content) == []
    assert findings(content, drafts=True) == ["C/wip.md:1: article has no description"]


def test_unreadable_content_stops_the_check(site) -> None:
    content = site({"bad.md": "---\ntitle: [unclosed\n---\nText."})
    with pytest.raises(BuildFailed) as failed:
        check_site(content, drafts=False)
    assert str(failed.value.errors[0]).startswith(f"{content.as_posix()}/bad.md:")


def test_cli_prints_one_line_per_finding_and_exits_1(site, capsys) -> None:
    content = site({"a.md": PROBLEMS, "b.md": DUPLICATE})
    assert main(["check", "--content", str(content)]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("  hint:")]
    assert len(lines) == 11
    assert lines[0] == f"{content.as_posix()}/a.md:7: link to a missing article: nowhere.md"


def test_cli_exits_0_on_a_clean_site(site, capsys) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT})
    assert main(["check", "--content", str(content)]) == 0
    assert capsys.readouterr().err == ""


def test_an_article_without_front_matter_needs_no_description(site) -> None:
    content = site({"plain.md": "# Plain\n\nIts first paragraph describes it.\n"})
    assert check_site(content) == []


def test_the_sample_content_passes_the_check() -> None:
    content = Path(__file__).resolve().parents[2] / "content"
    assert [str(p) for p in check_site(content, drafts=False)] == []
