"""README.md's quality-bar table is the one that benchmarks/results/results.json renders."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import quality_publish  # noqa: E402


def test_readme_quality_table_is_rendered_from_the_committed_results():
    results = quality_publish.published_results()
    assert results, "benchmarks/results/results.json is missing: run quality_bar.py --publish"
    expected = quality_publish.readme_block(results)
    text = (ROOT / "README.md").read_text()
    assert expected in text, "README.md's quality-bar table differs: run quality_bar.py --publish"


def test_the_block_is_replaced_whole():
    old = f"intro\n{quality_publish.START}\nold | rows\n{quality_publish.END}\nafter\n"
    new = quality_publish.readme_with_block(
        old, f"{quality_publish.START}\nnew{quality_publish.END}"
    )
    assert "old | rows" not in new and "new" in new and new.endswith("after\n")
