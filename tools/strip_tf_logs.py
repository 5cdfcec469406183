"""Remove TensorFlow's C++ start-up log lines from notebook outputs (run after executing).

    python tools/strip_tf_logs.py notebooks/*.ipynb

TensorFlow prints absl lines such as "I0000 00:00:... port.cc:153] oneDNN custom
operations are on" on stderr before any Python setting can silence them. They say
nothing about the course's results, so they are dropped; every other output is kept.
"""

from __future__ import annotations

import re
import sys

import nbformat

TF_LOG_LINE = re.compile(
    r"^([IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow with the appropriate compiler flags\.)$"
)


def strip_notebook(path: str) -> int:
    """Strip the log lines in place; return how many lines were removed."""
    notebook = nbformat.read(path, as_version=4)
    removed = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept_outputs = []
        for output in cell.outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                kept = [line for line in lines if not TF_LOG_LINE.match(line.rstrip("\n"))]
                removed += len(lines) - len(kept)
                if not "".join(kept).strip():
                    continue
                output["text"] = "".join(kept)
            kept_outputs.append(output)
        cell.outputs = kept_outputs
    nbformat.write(notebook, path)
    return removed


if __name__ == "__main__":
    for notebook_path in sys.argv[1:]:
        print(f"{notebook_path}: removed {strip_notebook(notebook_path)} TensorFlow log lines")
