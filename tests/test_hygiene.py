"""Lint and notebook hygiene, and proof that the checks fail on a planted violation."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.check_notebooks import check_notebook
from tools.notebook_cells import COLAB_SETUP, write_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
RUFF = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")


def ruff(*args, cwd=ROOT):
    return subprocess.run([RUFF, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_ruff_lint_and_format_are_clean():
    lint = ruff("check", "gan_course", "tests", "tools", "benchmarks", "notebooks")
    assert lint.returncode == 0, lint.stdout
    formatting = ruff(
        "format", "--check", "gan_course", "tests", "tools", "benchmarks", "notebooks"
    )
    assert formatting.returncode == 0, formatting.stdout


def test_ruff_fails_on_a_planted_violation(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "bad.py").write_text("import os\nx=1\n")
    assert ruff("check", "bad.py", cwd=tmp_path).returncode == 1  # unused import
    assert ruff("format", "--check", "bad.py", cwd=tmp_path).returncode == 1  # x=1 unformatted


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    assert check_notebook(path) == []


def good_notebook(path):
    write_notebook(
        str(path),
        path.stem,
        [
            ("md", "# Title"),
            (
                "code",
                "# Parameters\nfrom gan_course.config import smoke_mode\nSMOKE = smoke_mode()",
            ),
            ("code", "print(1)"),
        ],
    )


def test_checker_accepts_a_clean_notebook(tmp_path):
    path = tmp_path / "99_clean.ipynb"
    good_notebook(path)
    assert check_notebook(path) == []


@pytest.mark.parametrize(
    "plant, expected",
    [
        (lambda nb: nb.cells.pop(1), "badge"),
        (lambda nb: nb.cells.pop(2), "Colab setup"),
        (lambda nb: nb.cells[4].metadata.update(tags=[]), "tagged 'parameters'"),
        (lambda nb: setattr(nb.cells[4], "source", "# Parameters\nEPOCHS = 3"), "smoke_mode"),
        (
            lambda nb: nb.cells[5].outputs.append(
                nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="x", traceback=[])
            ),
            "error output",
        ),
        (
            lambda nb: nb.cells[5].outputs.append(
                nbformat.v4.new_output("stream", name="stderr", text="see /home/alice/gan/x.py")
            ),
            "absolute path",
        ),
        (lambda nb: setattr(nb.cells[5], "source", "open('/work/main/data/x')"), "absolute path"),
    ],
)
def test_checker_catches_planted_violations(tmp_path, plant, expected):
    path = tmp_path / "99_bad.ipynb"
    good_notebook(path)
    notebook = nbformat.read(path, as_version=4)
    plant(notebook)
    nbformat.write(notebook, path)
    problems = check_notebook(path)
    assert problems and expected in " ".join(problems)


def test_checker_catches_invalid_nbformat(tmp_path):
    path = tmp_path / "99_broken.ipynb"
    path.write_text('{"cells": "not a list"}')
    assert "not valid nbformat" in check_notebook(path)[0]


def test_colab_setup_cell_simulated(monkeypatch):
    """Run the setup cell as Colab would (google.colab importable), with no network."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(COLAB_SETUP, {})
    assert calls[0][:2] == ["git", "clone"] and calls[0][-1] == "/content/gan-course"
    install = calls[1]
    assert install[-3:] == ["--no-deps", "-e", "/content/gan-course"]  # keeps Colab's TensorFlow
    assert not any("tensorflow" in part for command in calls for part in command)
    assert "/content/gan-course" in sys.path


def test_colab_setup_cell_does_nothing_locally(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(COLAB_SETUP, {})
    assert calls == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_carries_the_current_setup_cell(path):
    notebook = nbformat.read(path, as_version=4)
    assert any(cell.source == COLAB_SETUP for cell in notebook.cells if cell.cell_type == "code")


def test_console_script_help():
    script = Path(sys.executable).parent / "gan-course"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "usage: gan-course" in result.stdout


def test_strip_tf_logs_removes_only_tensorflow_log_lines(tmp_path):
    from tools.strip_tf_logs import strip_notebook

    path = tmp_path / "99_logs.ipynb"
    good_notebook(path)
    notebook = nbformat.read(path, as_version=4)
    log = "I0000 00:00:1795446147.650881    5062 port.cc:153] oneDNN custom operations are on.\n"
    notebook.cells[5].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=log + "UserWarning: keep me\n"),
        nbformat.v4.new_output("stream", name="stderr", text=log),
        nbformat.v4.new_output("stream", name="stdout", text=log),
    ]
    nbformat.write(notebook, path)
    assert strip_notebook(str(path)) == 2
    outputs = nbformat.read(path, as_version=4).cells[5].outputs
    assert [output["text"] for output in outputs] == [
        "UserWarning: keep me\n",
        log,
    ]  # stdout untouched
