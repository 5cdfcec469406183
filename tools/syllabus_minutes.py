"""The README syllabus's minutes and machine, read from the notebooks' committed outputs.

    python tools/syllabus_minutes.py           # rewrite README.md's minutes column and machine note
    python tools/syllabus_minutes.py --check   # exit 1 if README.md disagrees with the notebooks

Each notebook prints `Run on YYYY-MM-DD: <gan_course.machine.machine_report()>` in its first
code cells and "whole notebook X min" in its last one; those two outputs are the only source
of the syllabus's figures, so a re-run notebook and the README cannot disagree
(tests/test_prose.py runs `--check`).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# "Run on DATE: " is optional: notebook 12 prints the machine report alone.
RUN_LINE = re.compile(
    r"(?:Run on (\d{4}-\d{2}-\d{2}): )?([^;\n]+), (\d+) cores visible; [^\n]*?TensorFlow ([\d.]+)"
)
MINUTES = re.compile(r"(?:whole notebook|notebook total):? ([\d.]+) min", re.IGNORECASE)
ROW = re.compile(r"^\| (\w+) \| \[(\w+)\]\(notebooks/(\w+)\.ipynb\)(.*) \| ([^|]*) \|$")
NOTE_START, NOTE_END = "<!-- syllabus machines: tools/syllabus_minutes.py -->", "<!-- end -->"


def _texts(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    texts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            texts.append("".join(text) if isinstance(text, list) else text)
    return texts


def notebook_run(path: Path) -> dict | None:
    """{"minutes", "date", "machine"} from a notebook's outputs, None if it prints neither."""
    joined = "\n".join(_texts(path))
    run, minutes = RUN_LINE.search(joined), MINUTES.findall(joined)
    if run is None or not minutes:
        return None
    cpu, cores, tensorflow = run.group(2).strip(), run.group(3), run.group(4)
    machine = f"{cpu}, {cores} cores, TensorFlow {tensorflow}"
    return {"minutes": float(minutes[-1]), "date": run.group(1), "machine": machine}


def rewritten(text: str) -> str:
    """README.md with each syllabus row's minutes and the machines note from the notebooks."""
    lines, machines = text.split("\n"), {}
    for index, line in enumerate(lines):
        match = ROW.match(line)
        if not match:
            continue
        run = notebook_run(ROOT / "notebooks" / f"{match.group(3)}.ipynb")
        if run is None:
            value = "not measured"
        else:
            machines.setdefault(run["machine"], []).append(match.group(1))
            value = f"{run['minutes']:.1f}"
        lines[index] = line[: match.start(5)] + value + " |"
    note = "; ".join(
        f"notebooks {', '.join(numbers)} on {machine}" for machine, numbers in machines.items()
    )
    text = "\n".join(lines)
    if NOTE_START in text:
        before, rest = text.split(NOTE_START, 1)
        sentence = f"Minutes are wall-clock, as each notebook prints them in its last cell: {note}."
        if "| not measured |" in text:
            sentence += (
                " A notebook marked not measured prints no machine line in its committed outputs."
            )
        text = before + NOTE_START + sentence + NOTE_END + rest.split(NOTE_END, 1)[1]
    return text


def main(arguments: list[str]) -> int:
    text = README.read_text()
    new = rewritten(text)
    if "--check" in arguments:
        if new != text:
            print(
                "README.md's syllabus minutes differ from the notebooks': run tools/syllabus_minutes.py"
            )
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
