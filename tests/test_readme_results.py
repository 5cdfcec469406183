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


def test_time_to_quality_table_is_rendered_from_the_committed_results():
    expected = quality_publish.time_block(quality_publish.published_results())
    text = quality_publish.BENCHMARKS_README.read_text()
    assert expected in text, (
        "benchmarks/README.md's time table differs: run quality_bar.py --publish"
    )


def test_the_time_table_names_each_family_and_reference():
    results = {
        "time_to_quality": {
            "host": "test host",
            "date": "2026-01-01T00:00:00",
            "result": {
                "minutes_to_target": 1.0,
                "evaluations": [
                    {"minutes": 0.5, "steps": 10, "fid": 80.0},
                    {"minutes": 1.0, "steps": 20, "fid": 39.0},
                ],
            },
        },
        "classic": {"host": "test host", "date": "2026-01-01", "scores": {"fid": 55.0}, "steps": 9},
    }
    block = quality_publish.time_block(results)
    assert "| dcgan | 1 | 80.0, 39.0 | 20 |" in block
    assert "| wgan-gp | not run" in block
    assert "| classic Keras MLP GAN (reference) | not within 10" in block
    assert "Measured 2026-01-01 on test host." in block


def test_the_block_is_replaced_whole():
    old = f"intro\n{quality_publish.START}\nold | rows\n{quality_publish.END}\nafter\n"
    new = quality_publish.readme_with_block(
        old, f"{quality_publish.START}\nnew{quality_publish.END}"
    )
    assert "old | rows" not in new and "new" in new and new.endswith("after\n")
