from __future__ import annotations

from site_builder.markdown import convert, split_title


def test_sections_are_plain_text_under_their_headings() -> None:
    doc = convert(
        "Intro *here*.\n\n## First part\n\n- a\n- b\n\n### Deeper\n\n```\ncode  line\n```\n", "x.md"
    )
    assert [(s.heading, s.anchor, s.level) for s in doc.sections] == [
        ("", "", 1),
        ("First part", "first-part", 2),
        ("Deeper", "deeper", 3),
    ]
    assert doc.sections[0].text == "Intro here."
    assert doc.sections[1].text == "- a\n- b"
    assert doc.sections[2].text == "code  line"


def test_relative_md_links_become_markers_with_lines() -> None:
    doc = convert("Para.\n\nSee [a](../a.md#x).\n\nAgain [a](../a.md#x).\n", "guides/b.md", body_line=10)
    assert [(link.target, link.fragment, link.line) for link in doc.links] == [
        ("a.md", "x", 12),
        ("a.md", "x", 14),
    ]
    assert 'href="folio:a.md#x"' in doc.html


def test_external_links_are_left_alone() -> None:
    doc = convert("[x](https://example.org/a.md) [m](mailto:a@example.org)", "a.md")
    assert doc.links == () and 'href="https://example.org/a.md"' in doc.html


def test_root_relative_links_become_markers_and_relative_ones_stay() -> None:
    doc = convert("[y](/guides/abs.md) [z](/configuration/build) [w](../other/)", "guides/a.md")
    assert [(link.kind, link.target) for link in doc.links] == [
        ("source", "guides/abs.md"),
        ("root", "/configuration/build"),
        ("relative", "../other/"),
    ]
    assert 'href="folio:guides/abs.md"' in doc.html and 'href="folio:/configuration/build"' in doc.html
    assert 'href="folio:~../other/"' in doc.html


def test_hrefs_are_valid_urls() -> None:
    doc = convert('[a](<a b.md>) <a href="x<y>.html">raw</a>', "a.md")
    assert 'href="folio:a%20b.md"' in doc.html and 'href="folio:~x%3Cy%3E.html"' in doc.html


def test_footnotes_become_references() -> None:
    doc = convert("Claim.[^1]\n\n[^1]: Source, 1999.\n", "a.md")
    assert 'class="footnote"' not in doc.html
    assert "<ol>" in doc.references_html and "Source, 1999." in doc.references_html


def test_heading_anchors_and_ids() -> None:
    doc = convert("## Hello, World!\n\n## Custom {: #mine }\n", "a.md")
    assert [h.anchor for h in doc.headings] == ["hello-world", "mine"]
    assert '<a class="anchor" href="#hello-world"' in doc.html
    assert {"hello-world", "mine"} <= doc.ids


def test_leading_title_is_split_off() -> None:
    assert split_title("\n# My Title\n\nBody") == ("My Title", "\nBody", 2)
    assert split_title("Body\n# Not first") == (None, "Body\n# Not first", 0)


def test_smart_quotes_and_code_highlighting() -> None:
    doc = convert('"Quoted" -- text\n\n```python\nx = 1\n```\n', "a.md")
    assert "<p>\u201cQuoted\u201d \u2013 text</p>" in doc.html
    assert (
        '<div class="highlight" tabindex="0" role="group" aria-label="Code">' in doc.html
        and '<span class="n">x</span>' in doc.html
    )


def test_markup_shown_in_code_is_not_a_link() -> None:
    body = 'Use `<a href="x.md">` or:\n\n```html\n<script src="a.js"></script>\n```\n\n```\n<img src="b.png">\n```\n'
    doc = convert(body, "a.md")
    assert doc.links == ()
    assert "folio:" not in doc.html


def test_attributes_html_does_not_have_are_dropped() -> None:
    doc = convert('## Title {anchor=false #t .c data-x="1"}\n\nText\n{: filename="a.go" }\n', "a.md")
    assert "anchor=" not in doc.html and "filename=" not in doc.html
    assert 'id="t"' in doc.html and 'class="c"' in doc.html and 'data-x="1"' in doc.html


def test_a_fence_inside_a_list_item_or_a_definition_is_a_code_block() -> None:
    doc = convert(
        '1. Step\n\n    ```html\n    <a href="x">\n    ```\n\nTerm\n:   Text.\n\n    ```\n    <b>\n    ```\n',
        "a.md",
    )
    assert doc.html.count('<div class="highlight"') == 2 and "```" not in doc.html
    assert doc.links == ()  # the markup in them is shown, not made


def test_a_note_that_ends_in_code_is_valid_html_and_its_code_is_labelled() -> None:
    doc = convert("Claim.[^1]\n\n[^1]: A note:\n\n    ```\n    code\n    ```\n", "a.md")
    assert "<p><div" not in doc.references_html
    assert '<div class="highlight" tabindex="0" role="group" aria-label="Code">' in doc.references_html
    assert 'class="footnote-backref"' in doc.references_html


def test_an_empty_header_cell_is_not_a_header() -> None:
    doc = convert("|   | Name |\n|---|------|\n| 1 | A    |\n", "a.md")
    assert doc.html.count("<th>") == 1 and "<td></td>" in doc.html
