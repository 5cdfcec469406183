"""Standard cells every course notebook starts with, for scripts that write notebooks.

    from tools.notebook_cells import write_notebook
    write_notebook("notebooks/04_dcgan.ipynb", "04_dcgan", [("md", "# Title"), ("code", "x = 1")])

`write_notebook` inserts, after the first (title) cell: the Open-in-Colab badge, the Colab
setup cell and the device cell. Cells are ("md", text) or ("code", text); a code cell
whose text starts with "# Parameters" gets the `parameters` tag.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def repository_url(pyproject: str | Path = ROOT / "pyproject.toml") -> str:
    """The `Repository` address in pyproject's [project.urls], the one place that names it."""
    # Read as text: tomllib exists only from Python 3.11 and the course supports 3.10.
    text = Path(pyproject).read_text()
    table = text.split("[project.urls]", 1)[-1].split("\n[", 1)[0]
    match = re.search(r'^Repository\s*=\s*"(https://github\.com/[^"/]+/[^"/]+?)/?"', table, re.M)
    if "[project.urls]" not in text or match is None:
        raise ValueError(
            f"{pyproject}: [project.urls] needs a line Repository = "
            '"https://github.com/OWNER/NAME" (Colab opens notebooks from GitHub only)'
        )
    return match.group(1)


def colab_setup(repository: str) -> str:
    """The setup cell: clones `repository` in Colab and says loudly when it cannot."""
    return (
        """# Setup. On your own machine this only finds the repository (install once with `pip install -e .`).
# In Colab it clones the course and installs the package without touching Colab's TensorFlow.
# A fork: set the environment variable GAN_COURSE_REPO to its address, or edit the line below.
# REPO_ROOT is the repository's folder: paths such as REPO_ROOT / "benchmarks" work from any folder.
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = os.environ.get("GAN_COURSE_REPO", \""""
        + repository
        + """")
if "google.colab" in sys.modules:
    REPO_ROOT = Path("/content/gan-course")
    if not (REPO_ROOT / "pyproject.toml").exists():  # there already if this cell ran before
        clone = ["git", "clone", "-q", "--depth", "1", REPOSITORY, str(REPO_ROOT)]
        cloned = subprocess.run(clone, capture_output=True, text=True)
        if cloned.returncode != 0:
            raise RuntimeError(
                f"Could not clone the course from {REPOSITORY}: {cloned.stderr.strip()}\\n"
                "If the course lives elsewhere (a fork), run  %env GAN_COURSE_REPO=https://github.com/OWNER/NAME\\n"
                "in a cell above (or edit REPOSITORY in this cell) and run this cell again."
            )
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--no-deps", "-e", str(REPO_ROOT)], check=True)
    subprocess.run([*pip, "mlxtend", "imageio", "tqdm"], check=True)
    sys.path.insert(0, str(REPO_ROOT))
else:
    import gan_course

    REPO_ROOT = Path(gan_course.__file__).resolve().parents[1]"""
    )


REPOSITORY_URL = repository_url()
COLAB_SETUP = colab_setup(REPOSITORY_URL)
COLAB_LINK = re.compile(
    r"https://colab\.research\.google\.com/github/([^/\s]+/[^/\s]+)/blob/main/notebooks/"
)

DEVICE_CELL = """import tensorflow as tf

gpus = tf.config.list_physical_devices("GPU")
print("TensorFlow", tf.__version__, "| device:", gpus[0].name if gpus else "CPU (no GPU found)")"""


def colab_url(notebook_name: str, repository: str = REPOSITORY_URL) -> str:
    github_path = repository.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{github_path}/blob/main/notebooks/{notebook_name}.ipynb"


def badge(notebook_name: str, repository: str = REPOSITORY_URL) -> str:
    url = colab_url(notebook_name, repository)
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
