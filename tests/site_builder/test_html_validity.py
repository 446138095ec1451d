"""The Nu Html Checker (vnu.jar, installed by `make vnu`) finds no error in the pages we build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from site_builder.build import build

from .trees import HUGO, HUGO_TOML, MKDOCS, write_tree

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = Path(os.environ.get("FOLIO_VNU_JAR", ROOT / ".tools/node_modules/vnu-jar/build/dist/vnu.jar"))


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        message = f"the Nu Html Checker needs Java and {VNU_JAR} (make vnu)"
        if os.environ.get("FOLIO_REQUIRE_VNU") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--skip-non-html"]


def test_the_sample_site_and_foreign_trees_have_no_html_error(tmp_path: Path) -> None:
    command = vnu_command()
    shutil.copytree(ROOT / "content", tmp_path / "sample")
    write_tree(tmp_path / "hugo", HUGO, HUGO_TOML)
    write_tree(tmp_path / "mkdocs", MKDOCS)
    outputs = []
    for name in ("sample", "hugo", "mkdocs"):
        build(tmp_path / name, tmp_path / f"{name}-dist")
        outputs.append(str(tmp_path / f"{name}-dist"))
    done = subprocess.run([*command, *outputs], capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in messages]
    assert not errors, "\n".join(errors)
    assert done.returncode == 0
    assert len(list((tmp_path / "sample-dist").rglob("*.html"))) > 10  # it looked at real pages
