"""Build the sample site (content/) with the chat panel pointed at a given endpoint, and serve it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build_site(work: Path, endpoint: str) -> Path:
    """Copy content/ into `work`, set its chat_endpoint, build it with the real CLI; return the dist folder."""
    content = work / "content"
    shutil.copytree(ROOT / "content", content)
    settings = content / "site.toml"
    text, count = re.subn(
        r"(?m)^chat_endpoint\s*=.*$", f'chat_endpoint = "{endpoint}"', settings.read_text(encoding="utf-8")
    )
    settings.write_text(text if count else f'chat_endpoint = "{endpoint}"\n' + text, encoding="utf-8")
    dist = work / "dist"
    command = [sys.executable, "-m", "site_builder", "build", "--content", str(content), "--out", str(dist)]
    # The search index is not what these tests look at, and Pagefind only slows the build down.
    done = subprocess.run([*command, "--no-search"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"the site build failed ({done.returncode}):\n{done.stderr}")
    return dist
