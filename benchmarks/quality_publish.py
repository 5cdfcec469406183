"""The quality bar's one results file, and the README section written from it.

    python benchmarks/quality_bar.py --publish   # after the runs: copy and rewrite README.md

`--publish` copies runs/quality_bar/results.json (with report.md and goal 5's stylegan_mixing.json) to
benchmarks/results/, the only committed copy, and rewrites the block of README.md between
the two markers below from it. tests/test_readme_results.py renders the block again from the
committed file and fails if README.md differs, so no figure in that block can be typed by hand.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from quality_goals import ALL_GOALS, GOAL_NAMES, MIXING_JSON, ROOT, goal_rows, runs_by_host

PUBLISHED = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
START = "<!-- quality-bar results: written by `python benchmarks/quality_bar.py --publish` -->"
END = "<!-- end of quality-bar results -->"


def published_results(folder: Path = PUBLISHED) -> dict:
    path = folder / "results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def readme_block(results: dict, folder: Path = PUBLISHED) -> str:
    """The machines and dates, then one row per criterion: what README.md shows."""
    lines = [START, ""]
    for host, (_, dates) in runs_by_host(results).items():
        span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
        parts = [part.strip() for part in host.split(";")]
        details = ", ".join(part for part in parts[1:] if part.startswith(("Python", "bf16")))
        lines.append(f"Measured {span} on {parts[0]} ({details}).")
    lines += ["", "| goal | criterion | figure | verdict |", "|---|---|---|---|"]
    for goal in ALL_GOALS:
        for index, (_, criterion, figure, verdict) in enumerate(goal_rows(results, goal, folder)):
            title = f"{goal}. {GOAL_NAMES[goal]}" if index == 0 else ""
            lines.append(f"| {title} | {criterion} | {figure} | {verdict} |")
    return "\n".join([*lines, "", END])


def readme_with_block(text: str, block: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"README.md has no quality-bar block: add the lines {START!r} and {END!r}")
    before, rest = text.split(START, 1)
    return before + block + rest.split(END, 1)[1]


def publish(out: Path) -> None:
    """Copy the run's results to benchmarks/results/ and rewrite README.md's block from them."""
    PUBLISHED.mkdir(parents=True, exist_ok=True)
    for name in ("results.json", "report.md", MIXING_JSON):
        if (out / name).exists():
            shutil.copyfile(out / name, PUBLISHED / name)
    block = readme_block(published_results())
    README.write_text(readme_with_block(README.read_text(), block))
