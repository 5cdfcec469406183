"""Standard cells every course notebook starts with, for scripts that write notebooks.

    from tools.notebook_cells import write_notebook
    write_notebook("notebooks/04_dcgan.ipynb", "04_dcgan", [("md", "# Title"), ("code", "x = 1")])

`write_notebook` inserts, after the first (title) cell: the Open-in-Colab badge, the Colab
setup cell and the device cell. Cells are ("md", text) or ("code", text); a code cell
whose text starts with "# Parameters" gets the `parameters` tag.
"""

from __future__ import annotations

import nbformat

REPOSITORY = "gan-course/gan-course"

COLAB_SETUP = (
    """# Setup. On your own machine this does nothing (install once with `pip install -e .`).
# In Colab it clones the course and installs the package without touching Colab's TensorFlow.
import subprocess
import sys

REPOSITORY = "https://github.com/"""
    + REPOSITORY
    + """"
CLONE_TO = "/content/gan-course"
if "google.colab" in sys.modules:
    subprocess.run(["git", "clone", "-q", "--depth", "1", REPOSITORY, CLONE_TO], check=False)
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", "-e", CLONE_TO], check=True)
    subprocess.run([*pip, "mlxtend", "imageio", "tqdm"], check=True)
    sys.path.insert(0, CLONE_TO)"""
)

DEVICE_CELL = """import tensorflow as tf

gpus = tf.config.list_physical_devices("GPU")
print("TensorFlow", tf.__version__, "| device:", gpus[0].name if gpus else "CPU (no GPU found)")"""


def badge(notebook_name: str) -> str:
    url = f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/notebooks/{notebook_name}.ipynb"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def write_notebook(path: str, notebook_name: str, cells: list[tuple[str, str]]) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    standard = [("md", badge(notebook_name)), ("code", COLAB_SETUP), ("code", DEVICE_CELL)]
    ordered = cells[:1] + standard + cells[1:]
    for kind, text in ordered:
        text = text.strip("\n")
        if kind == "md":
            notebook.cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            cell = nbformat.v4.new_code_cell(text)
            if text.startswith("# Parameters"):
                cell.metadata["tags"] = ["parameters"]
            notebook.cells.append(cell)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
