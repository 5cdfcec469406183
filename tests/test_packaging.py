"""One source of version truth: requirements files, pyproject and environment.yml agree."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirement_lines(name):
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_pyproject_reads_the_requirements_files():
    # (read as text: tomllib exists only from Python 3.11 and the course supports 3.10)
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dependencies = { file = ["requirements.txt"] }' in text
    assert 'optional-dependencies.dev = { file = ["requirements-dev.txt"] }' in text
    assert re.search(r'dynamic = \[.*"dependencies".*\]', text)
    project_table = text.split("[project]")[1].split("\n[")[0]
    assert not re.search(r"^dependencies\s*=", project_table, flags=re.M)  # no second list to drift


def test_environment_yml_installs_through_pip_only():
    text = (ROOT / "environment.yml").read_text()
    assert "-e .[dev]" in text
    named = {match.lower() for match in re.findall(r"^\s*-\s*([A-Za-z][\w.-]*)", text, flags=re.M)}
    pinned_elsewhere = {
        re.split(r"[<>=\[ ]", line)[0].lower()
        for line in requirement_lines("requirements.txt")
        + requirement_lines("requirements-dev.txt")
    }
    # conda provides only python and pip; every library comes from the requirements files
    assert named <= {"python", "pip", "conda-forge"}, named
    assert not named & pinned_elsewhere


def test_tensorflow_range_admits_2_21_and_keras_3():
    requirements = " ".join(requirement_lines("requirements.txt"))
    assert re.search(r"tensorflow>=2\.\d+(\.\d+)?,<2\.22", requirements)
    assert re.search(r"keras>=3", requirements)
    assert "tf_keras" not in requirements and "tensorflow-addons" not in requirements


def test_every_dependency_has_a_lower_bound_that_ci_oldest_installs():
    """`.ci/oldest` turns each `name>=X` into `name==X`; the README names what passed."""
    specs = [
        line.split("#")[0].strip()
        for line in requirement_lines("requirements.txt")
        + requirement_lines("requirements-dev.txt")
    ]
    without_bound = [spec for spec in specs if not re.match(r"^[A-Za-z0-9_.-]+>=\d", spec)]
    assert not without_bound, without_bound
    oldest = (ROOT / ".ci" / "oldest").read_text()
    assert "requirements.txt requirements-dev.txt" in oldest and "--no-deps" in oldest
    lower = dict(re.match(r"([\w.-]+)>=([\d.]+)", spec).groups() for spec in specs)
    readme = (ROOT / "README.md").read_text()
    assert f"TensorFlow {lower['tensorflow']}" in readme and f"Keras {lower['keras']}" in readme


def test_ci_runs_the_readme_test_command():
    extract = r"""awk '/<!-- test-command -->/{found=1; next} found && /^```/{if (started) exit; started=1; next} found && started' README.md"""
    command = subprocess.run(
        ["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "pytest" in command and "notebooks" in command and "GAN_COURSE_SMOKE=1" in command
    assert extract.split("'")[1] in (ROOT / ".ci" / "run").read_text()
