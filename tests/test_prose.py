"""Prose never tells the history of its making: it names the machine a figure came from.

README.md, benchmarks/README.md and the notebooks' Markdown cells are searched for numbered
rounds of work ("session 3", "round 2"), for runs told by their order ("an earlier run") and
for issue numbers as provenance ("issue 3's"); a figure says which CPU, cores and TensorFlow
version it came from instead.
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HISTORY = [
    r"\bsessions? \d",
    r"\bsession \d+'s\b",
    r"\b(?:this|that|previous|earlier|last|next|first|second|third) session\b",
    r"\bround \d",
    r"\b(?:first|second|third|this|that|last|next|previous) round\b",
    r"\b(?:an? )?earlier (?:run|version|machine|session)s?\b",
    r"\bprevious (?:run|version|machine|session)s?\b",
    r"\b(?:was|were|been)(?: not)? re-?run\b",
    r"\blast time\b",
    r"\bpreviously\b",
    r"\bissue #?\d+",
    r"\bthe issue(?:'s| text| says)",
]
PATTERN = re.compile("|".join(f"(?:{pattern})" for pattern in HISTORY), re.IGNORECASE)


def prose(root: Path) -> list[tuple[str, str]]:
    """(where, text) for each Markdown file and each notebook Markdown cell under root."""
    pieces = [
        (str(path.relative_to(root)), path.read_text())
        for path in [root / "README.md", root / "benchmarks" / "README.md"]
        if path.exists()
    ]
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        pieces += [
            (f"{path.relative_to(root)}, cell {index}", "".join(cell["source"]))
            for index, cell in enumerate(cells)
            if cell["cell_type"] == "markdown"
        ]
    return pieces


def history_lines(root: Path) -> list[str]:
    return [
        f"{where}: {line.strip()}"
        for where, text in prose(root)
        for line in text.splitlines()
        if PATTERN.search(line)
    ]


def test_prose_tells_no_history():
    assert len(prose(ROOT)) > 100  # the READMEs and every notebook's Markdown were read
    hits = history_lines(ROOT)
    assert not hits, "name the machine (CPU, cores, TensorFlow) instead:\n" + "\n".join(hits)


def test_a_planted_history_line_is_caught(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "notebooks").mkdir()
    clean = (
        "Measured on a 2-core AMD EPYC (AVX2 only), TensorFlow 2.21: the round trip keeps 98%;\n"
        "median of 3 rounds; rerun the evaluation; bit-exact reruns.\n"
    )
    (tmp_path / "README.md").write_text(clean + "Rows marked * were re-run on a slower host.\n")
    (tmp_path / "benchmarks" / "README.md").write_text(clean + "### Session 4 (2026-11-30)\n")
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": [clean, "An earlier run reached FID 72.\n"]},
            {"cell_type": "code", "source": ["# session 2 in a code cell is not prose\n"]},
            {"cell_type": "markdown", "source": ["As issue 3's bar asks, the round 2 models win."]},
        ]
    }
    (tmp_path / "notebooks" / "01_x.ipynb").write_text(json.dumps(notebook))
    hits = history_lines(tmp_path)
    assert [hit.split(": ", 1)[1] for hit in hits] == [
        "Rows marked * were re-run on a slower host.",
        "### Session 4 (2026-11-30)",
        "An earlier run reached FID 72.",
        "As issue 3's bar asks, the round 2 models win.",
    ]


def test_readme_syllabus_minutes_are_what_the_notebooks_print():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "tools" / "syllabus_minutes.py"
    spec = importlib.util.spec_from_file_location("syllabus_minutes", path)
    syllabus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(syllabus)
    text = syllabus.README.read_text()
    assert syllabus.rewritten(text) == text, "run python tools/syllabus_minutes.py"
