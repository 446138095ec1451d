"""Sample articles and a page parser shared by the site builder tests."""

from __future__ import annotations

from pathlib import Path

import lxml.html


def page(out: Path, path: str) -> lxml.html.HtmlElement:
    """Parse one built HTML page."""
    return lxml.html.fromstring((out / path).read_bytes())


ARTICLE = """
---
title: Celebration
description: Why people celebrate.
date: 2026-03-14
updated: 2026-10-02
tags: [culture, festivals]
category: Culture
authors: [Ada Marsh]
see_also: [light]
mood: festive
---
Intro paragraph about **celebrations**.

## History

Old feasts.[^1] See [light](light.md#diwali) and [self](#types).

### Ancient times

Romans.

## Types

| kind | example |
|------|---------|
| civic | parade |

```python
print("hi")
```

[^1]: A book, 2001.
"""

LIGHT = """
---
title: Festivals of light
description: Lamps and candles.
date: 2026-04-01
tags: [festivals]
category: Culture
---
Intro.

## Diwali

Lamps.
"""
