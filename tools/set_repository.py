"""Point every Colab link and setup cell at the repository named in pyproject.toml.

    python tools/set_repository.py            # rewrite notebooks/*.ipynb and README.md
    python tools/set_repository.py --check    # exit 1 and name each file that disagrees

The address lives in one place, `Repository` under [project.urls] in pyproject.toml. A fork
edits that table, runs this script and commits the result: the Open-in-Colab badges, the
README's Colab links and the clone address in every notebook's setup cell then all name the
fork. Only those pieces change; every other cell and every output is left as it is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tools` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.notebook_cells import COLAB_LINK, ROOT, colab_setup, repository_url

SETUP_MARK = '"google.colab" in sys.modules'


def _colab_links(text: str, repository: str) -> str:
    github_path = repository.removeprefix("https://github.com/")
    return COLAB_LINK.sub(
        lambda match: match.group(0).replace(match.group(1), github_path, 1), text
    )


def rewrite_notebook(path: Path, repository: str, *, write: bool = True) -> bool:
    """Rewrite one notebook's Colab links and setup cell; return whether anything changed."""
    notebook = json.loads(path.read_text())
    changed = False
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            new_source = _colab_links(source, repository)
        elif cell["cell_type"] == "code" and SETUP_MARK in source:
            new_source = colab_setup(repository)
        else:
            continue
        if new_source != source:
            cell["source"] = new_source.splitlines(keepends=True)
            changed = True
    if changed and write:
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return changed


def rewrite_text(path: Path, repository: str, *, write: bool = True) -> bool:
    """Rewrite the Colab links of a Markdown file; return whether anything changed."""
    text = path.read_text()
    new_text = _colab_links(text, repository)
    if new_text != text and write:
        path.write_text(new_text)
    return new_text != text


def main(argv: list[str], root: Path = ROOT) -> int:
    check = "--check" in argv
    repository = repository_url(root / "pyproject.toml")
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    stale = [path for path in notebooks if rewrite_notebook(path, repository, write=not check)] + [
        path for path in [root / "README.md"] if rewrite_text(path, repository, write=not check)
    ]
    for path in stale:
        verb = "disagrees with" if check else "rewritten for"
        print(f"{path.relative_to(root)} {verb} {repository}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
