"""Notebook hygiene, run by the tests and usable by hand:

    python tools/check_notebooks.py notebooks/*.ipynb

Each notebook must be valid nbformat, carry its Open-in-Colab badge, the Colab setup
cell, one parameters cell (tagged `parameters`) that honours smoke mode, and committed
outputs with no error tracebacks and no absolute paths from a developer's machine. Every
embedded GIF must hold each frame (delay > 0) and its last frame longest, so a learner can
read the animation and its end.
Exit code 1 and one line per problem if anything is wrong.
"""

from __future__ import annotations

import base64
import io
import re
import sys
from pathlib import Path

import nbformat

# Paths that only exist on somebody's machine or in a container.
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/])(/home/|/Users/|/root/|/work/|/tmp/|/content/drive|/app/|[A-Z]:\\\\Users)"
)
COLAB_BADGE = "colab.research.google.com/github/"


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return "\n".join(
        str(data[key]) for key in ("text/plain", "text/html", "text/markdown") if key in data
    )


def gif_delays(encoded: str) -> list[int]:
    """Frame delays in milliseconds of a base64 GIF, as a viewer reads them."""
    from PIL import Image

    delays = []
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as gif:
        for index in range(getattr(gif, "n_frames", 1)):
            gif.seek(index)
            delays.append(int(gif.info.get("duration", 0)))
    return delays


def _gif_problem(output) -> str | None:
    encoded = output.get("data", {}).get("image/gif")
    if not encoded:
        return None
    delays = gif_delays("".join(encoded) if isinstance(encoded, list) else encoded)
    if min(delays) <= 0:
        return f"a GIF has frames with no delay ({delays[:5]} ms ...)"
    if len(delays) > 1 and delays[-1] < max(delays):
        return f"a GIF's last frame ({delays[-1]} ms) is not held longest ({max(delays)} ms)"
    return None


def check_notebook(path: str | Path) -> list[str]:
    """Return a list of problems (empty when the notebook is clean)."""
    path = Path(path)
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # any parse or schema error is a problem to report, not a crash
        return [f"{path}: not valid nbformat ({type(error).__name__}: {str(error)[:120]})"]
    problems = []
    cells = notebook.cells
    name = path.stem
    if not any(
        cell.cell_type == "markdown"
        and COLAB_BADGE in cell.source
        and f"{name}.ipynb" in cell.source
        for cell in cells
    ):
        problems.append(f"{path}: no Open-in-Colab badge pointing at notebooks/{name}.ipynb")
    if not any(
        cell.cell_type == "code" and '"google.colab" in sys.modules' in cell.source
        for cell in cells
    ):
        problems.append(f"{path}: no Colab setup cell")
    parameters = [
        cell
        for cell in cells
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", [])
    ]
    if len(parameters) != 1:
        problems.append(
            f"{path}: expected one code cell tagged 'parameters', found {len(parameters)}"
        )
    elif "smoke_mode()" not in parameters[0].source:
        problems.append(f"{path}: the parameters cell does not call smoke_mode()")
    for index, cell in enumerate(cells):
        if ABSOLUTE_PATH.search(cell.source):
            problems.append(
                f"{path}: cell {index} source has an absolute path: {ABSOLUTE_PATH.search(cell.source).group(0)}"
            )
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{path}: cell {index} has an error output ({output.get('ename')})")
            gif_problem = _gif_problem(output)
            if gif_problem:
                problems.append(f"{path}: cell {index} output: {gif_problem}")
            match = ABSOLUTE_PATH.search(_output_text(output))
            if match:
                problems.append(
                    f"{path}: cell {index} output has an absolute path: {match.group(0)}"
                )
    return problems


def main(paths: list[str]) -> int:
    problems = [problem for path in paths for problem in check_notebook(path)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
