"""Lint and notebook hygiene, and proof that the checks fail on a planted violation."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import set_repository
from tools.check_notebooks import check_notebook
from tools.notebook_cells import COLAB_LINK, COLAB_SETUP, colab_url, repository_url, write_notebook
from tools.set_repository import SETUP_MARK

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
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[-1].outputs.append(gif_output([300, 300, 2000]))  # held frames, last longest
    nbformat.write(notebook, path)
    assert check_notebook(path) == []


def gif_output(delays_ms):
    """A display output holding a GIF whose frames have these delays."""
    import base64
    import io

    from PIL import Image

    frames = [Image.new("L", (4, 4), color=40 * index) for index in range(len(delays_ms))]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:], duration=list(delays_ms)
    )
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return nbformat.v4.new_output("display_data", data={"image/gif": encoded})


def test_checker_reads_gif_delays_as_written():
    from tools.check_notebooks import gif_delays

    assert gif_delays(gif_output([300, 300, 2000])["data"]["image/gif"]) == [300, 300, 2000]


@pytest.mark.parametrize(
    "plant, expected",
    [
        (lambda nb: nb.cells[5].outputs.append(gif_output([0, 0, 0])), "no delay"),
        (lambda nb: nb.cells[5].outputs.append(gif_output([300, 900, 300])), "held longest"),
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


def completed(command, **kwargs):
    return subprocess.CompletedProcess(command, 0, "", "")


def test_colab_setup_cell_simulated(monkeypatch):
    """Run the setup cell as Colab would (google.colab importable), with no network."""
    calls = []
    monkeypatch.setattr(
        subprocess, "run", lambda command, **kwargs: calls.append(command) or completed(command)
    )
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("GAN_COURSE_REPO", raising=False)
    namespace = {}
    exec(COLAB_SETUP, namespace)
    assert calls[0][:2] == ["git", "clone"] and calls[0][-1] == "/content/gan-course"
    assert calls[0][-2] == repository_url()  # the address in pyproject's [project.urls]
    install = calls[1]
    assert install[-3:] == ["--no-deps", "-e", "/content/gan-course"]  # keeps Colab's TensorFlow
    assert not any("tensorflow" in part for command in calls for part in command)
    assert "/content/gan-course" in sys.path
    assert namespace["REPO_ROOT"] == Path("/content/gan-course")


def test_colab_setup_cell_stops_with_a_clear_message_when_the_clone_fails(monkeypatch, tmp_path):
    """A real `git clone` of an address that does not exist (a file:// path: no network)."""
    missing = (tmp_path / "no-such-repository").as_uri()
    real_run = subprocess.run
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        return real_run(command, **kwargs) if command[0] == "git" else completed(command)

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("GAN_COURSE_REPO", missing)
    cell = COLAB_SETUP.replace('"/content/gan-course"', repr(str(tmp_path / "clone")))
    with pytest.raises(RuntimeError) as raised:
        exec(cell, {})
    message = str(raised.value)
    assert f"Could not clone the course from {missing}" in message
    assert "GAN_COURSE_REPO" in message and "edit REPOSITORY" in message
    assert len(calls) == 1  # stopped before pip, which would only fail less clearly


def test_colab_setup_cell_does_nothing_locally(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    namespace = {}
    exec(COLAB_SETUP, namespace)
    assert calls == []
    assert namespace["REPO_ROOT"] == ROOT  # so REPO_ROOT / "benchmarks" works from any folder


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_carries_the_current_setup_cell(path):
    notebook = nbformat.read(path, as_version=4)
    assert any(cell.source == COLAB_SETUP for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", [*NOTEBOOKS, ROOT / "README.md"], ids=lambda p: p.name)
def test_colab_addresses_agree_with_pyproject(path):
    """Badges, Colab links and the setup cell's clone address all name [project.urls] Repository."""
    repository = repository_url()
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        markdown = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
        setup = [cell.source for cell in cells if SETUP_MARK in cell.source]
        assert len(setup) == 1
        assert f'os.environ.get("GAN_COURSE_REPO", "{repository}")' in setup[0]
        assert colab_url(path.stem) in markdown  # the badge opens this very notebook
    else:
        markdown = path.read_text()
    linked = COLAB_LINK.findall(markdown)
    assert linked and set(linked) == {repository.removeprefix("https://github.com/")}


def test_set_repository_points_a_fork_at_itself(tmp_path):
    for name in ["notebooks/02_vae.ipynb", "README.md", "pyproject.toml"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    fork = "https://github.com/someone/my-gan-course"
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(repository_url(), fork))
    before = json.loads((tmp_path / "notebooks/02_vae.ipynb").read_text())
    assert set_repository.main(["--check"], root=tmp_path) == 1
    assert set_repository.main([], root=tmp_path) == 0
    assert set_repository.main(["--check"], root=tmp_path) == 0
    after = json.loads((tmp_path / "notebooks/02_vae.ipynb").read_text())
    text = json.dumps(after) + (tmp_path / "README.md").read_text()
    assert "gan-course/gan-course" not in text and text.count("someone/my-gan-course") > 12
    assert [cell.get("outputs") for cell in after["cells"]] == [
        cell.get("outputs") for cell in before["cells"]
    ]  # outputs untouched


def test_repository_url_names_what_to_fix(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"\[project.urls\] needs a line Repository"):
        repository_url(tmp_path / "pyproject.toml")


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
