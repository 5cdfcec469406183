"""The quality bar's one results file, and the README sections written from it.

    python benchmarks/quality_bar.py --publish   # after the runs: copy and rewrite the READMEs

`--publish` copies runs/quality_bar/results.json (with report.md and goal 5's stylegan_mixing.json) to
benchmarks/results/, the only committed copy, and rewrites from it the block of README.md
between the quality-bar markers below and the time-to-quality table of benchmarks/README.md
between its markers. tests/test_readme_results.py renders both again from the committed file
and fails if either README differs, so no figure in them can be typed by hand.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from quality_goals import (
    ALL_GOALS,
    GOAL_NAMES,
    MIXING_JSON,
    REFERENCES,
    ROOT,
    TIME_FAMILIES,
    goal_rows,
    runs_by_host,
    time_to_quality_name,
)

PUBLISHED = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
START = "<!-- quality-bar results: written by `python benchmarks/quality_bar.py --publish` -->"
END = "<!-- end of quality-bar results -->"
BENCHMARKS_README = ROOT / "benchmarks" / "README.md"
TIME_START = (
    "<!-- time-to-quality results: written by `python benchmarks/quality_bar.py --publish` -->"
)
TIME_END = "<!-- end of time-to-quality results -->"


def published_results(folder: Path = PUBLISHED) -> dict:
    path = folder / "results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _span(dates: list[str]) -> str:
    """One date, or "first to last" when the sorted dates differ."""
    return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"


def readme_block(results: dict, folder: Path = PUBLISHED) -> str:
    """The machines and dates, then one row per criterion: what README.md shows."""
    lines = [START, ""]
    for host, (_, dates) in runs_by_host(results).items():
        parts = [part.strip() for part in host.split(";")]
        details = ", ".join(part for part in parts[1:] if part.startswith(("Python", "bf16")))
        lines.append(f"Measured {_span(dates)} on {parts[0]} ({details}).")
    lines += ["", "| goal | criterion | figure | verdict |", "|---|---|---|---|"]
    for goal in ALL_GOALS:
        for index, (_, criterion, figure, verdict) in enumerate(goal_rows(results, goal, folder)):
            title = f"{goal}. {GOAL_NAMES[goal]}" if index == 0 else ""
            lines.append(f"| {title} | {criterion} | {figure} | {verdict} |")
    return "\n".join([*lines, "", END])


def _family_row(model: str, result: dict | None) -> str:
    if not result or not result.get("evaluations"):
        return f"| {model} | not run (`quality_bar.py --goals 7`) | | |"
    trail, reached = result["evaluations"], result["minutes_to_target"]
    minutes = f"{reached:g}" if reached is not None else f"not within {trail[-1]['minutes']:g}"
    along = ", ".join(f"{row['fid']:.1f}" for row in trail)
    return f"| {model} | {minutes} | {along} | {trail[-1]['steps']:,} |"


def _reference_row(label: str, entry: dict | None) -> str:
    scores = (entry or {}).get("scores")
    if not scores:
        return f"| {label} (reference) | not run (`quality_bar.py --goals 0`) | | |"
    within = "at most 10" if scores["fid"] <= 40 else "not within 10"
    steps = f"{entry['steps']:,}" if entry.get("steps") else "?"
    figure = f"FID {scores['fid']:.1f} at 10 min"
    return f"| {label} (reference) | {within} (scored once, after 10 min) | {figure} | {steps} |"


def time_block(results: dict) -> str:
    """Goal 7's runs and goal 0's references: minutes of training to FID <= 40, one row each."""
    labels = {time_to_quality_name(model): model for model in TIME_FAMILIES}
    labels.update(REFERENCES)
    names = list(labels)
    lines = [TIME_START, ""]
    hosts = runs_by_host({n: results[n] for n in names if n in results})
    for host, (measured, dates) in hosts.items():
        # With rows from more than one host, each line names its rows.
        which = f": {', '.join(labels[name] for name in measured)}" if len(hosts) > 1 else ""
        lines.append(f"Measured {_span(dates)} on {host}{which}.")
    lines += [
        "",
        "| model | minutes of training to FID <= 40 | FID after each half minute | steps |",
    ]
    lines += ["|---|---|---|---:|"]
    for model in TIME_FAMILIES:
        lines.append(_family_row(model, results.get(time_to_quality_name(model), {}).get("result")))
    for name, label in REFERENCES:
        lines.append(_reference_row(label, results.get(name)))
    return "\n".join([*lines, "", TIME_END])


def readme_with_block(text: str, block: str, start: str = START, end: str = END) -> str:
    if start not in text or end not in text:
        raise ValueError(f"the README has no results block: add the lines {start!r} and {end!r}")
    before, rest = text.split(start, 1)
    return before + block + rest.split(end, 1)[1]


def publish(out: Path) -> None:
    """Copy the run's results to benchmarks/results/ and rewrite both READMEs' blocks."""
    PUBLISHED.mkdir(parents=True, exist_ok=True)
    for name in ("results.json", "report.md", MIXING_JSON):
        if (out / name).exists():
            shutil.copyfile(out / name, PUBLISHED / name)
    results = published_results()
    README.write_text(readme_with_block(README.read_text(), readme_block(results)))
    text = BENCHMARKS_README.read_text()
    block = time_block(results)
    BENCHMARKS_README.write_text(readme_with_block(text, block, TIME_START, TIME_END))
