"""The package's shape, checked: one update path, no import cycle, small modules and
functions, the data layer at the bottom, and a README table that lists every module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gan_course"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every gan_course module `path` imports, at the top or inside a function."""
    known = {module_name(p) for p in MODULES}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("gan_course")
        ):
            for alias in node.names:  # `from gan_course.models import dcgan` imports a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gan_course"))
    return found - {module_name(path)}


def test_only_the_update_module_applies_gradients():
    callers = [
        path.relative_to(ROOT).as_posix()
        for path in MODULES
        if any(word in path.read_text() for word in ("apply_gradients(", "scale_loss("))
    ]
    assert callers == ["gan_course/training/update.py"]


def test_there_is_no_import_cycle():
    graph = {module_name(path): imported_modules(path) for path in MODULES}
    state = {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", "import cycle: " + " -> ".join([*trail, name])
        state[name] = "open"
        for other in sorted(graph.get(name, ())):
            visit(other, [*trail, name])
        state[name] = "done"

    for name in sorted(graph):
        visit(name, [])


def test_the_data_layer_imports_nothing_else_of_the_package():
    for path in sorted((PACKAGE / "data").glob("*.py")):
        outside = {m for m in imported_modules(path) if not m.startswith("gan_course.data")}
        assert not outside, (path.name, outside)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_modules_and_functions_stay_small(path):
    lines = path.read_text().splitlines()
    assert len(lines) <= 310, f"{len(lines)} lines: split the module by what it holds"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 62, f"{node.name} has {length} lines: split it"


def test_the_readme_module_table_lists_every_module():
    readme = (ROOT / "README.md").read_text()
    missing = [
        module_name(path)
        for path in MODULES
        if path.name not in ("__main__.py",) and f"`{module_name(path)}`" not in readme
    ]
    assert not missing, f"README.md's module table lacks {missing}"


def test_the_command_line_offers_the_packages_precisions_and_strategies():
    from gan_course import cli_parser
    from gan_course.training.precision import PRECISIONS
    from gan_course.training.settings import STRATEGIES

    assert cli_parser.PRECISIONS == PRECISIONS and cli_parser.STRATEGIES == STRATEGIES


def test_every_pointer_to_a_measurement_names_a_section_of_the_benchmarks_readme():
    import re

    headings = {
        line.lstrip("#").strip()
        for line in (ROOT / "benchmarks" / "README.md").read_text().splitlines()
        if line.startswith("#")
    }
    pointers = []
    for path in MODULES:
        # Comments wrap, so read each file with its comment markers and line breaks removed.
        text = re.sub(r"\s*\n\s*#?\s*", " ", path.read_text())
        pointers += [
            (path.name, name) for name in re.findall(r'benchmarks/README\.md, "([^"]+)"', text)
        ]
    assert pointers, "the package points at its measurements"
    # A heading may go on with the script that measured it: "... (`autoencoder_jit.py`)".
    missing = [
        (file, name)
        for file, name in pointers
        if not any(heading == name or heading.startswith(name + " (") for heading in headings)
    ]
    assert not missing, missing
