"""The quality bar's budgets: minutes of the reference AVX-512 host, longer on a slower host."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import quality_bar  # noqa: E402
import quality_goals  # noqa: E402


def budgets(job) -> list[float]:
    """Every --max-minutes / --minutes / --every value in the job's commands."""
    values = []
    for command in job.commands:
        for flag in ("--max-minutes", "--minutes", "--every"):
            if flag in command:
                values.append(float(command[command.index(flag) + 1]))
    return values


def test_host_factor_is_the_ratio_of_peaks_and_never_shortens():
    reference = quality_goals.REFERENCE_PEAK_GFLOPS
    assert quality_goals.host_factor_for(reference / 4) == 4.0
    assert quality_goals.host_factor_for(104.0) == round(reference / 104.0, 2)
    assert quality_goals.host_factor_for(reference) == 1.0
    assert quality_goals.host_factor_for(3 * reference) == 1.0
    with pytest.raises(ValueError, match="positive"):
        quality_goals.host_factor_for(0.0)


@pytest.mark.parametrize(
    "goal, plain",
    [(0, [10, 10]), (1, [3, 7] * 2), (3, [5, 5, 5, 5]), (4, [5]), (5, [10]), (7, [5, 0.5] * 5)],
)
def test_every_budget_is_multiplied_by_the_host_factor(tmp_path, goal, plain):
    jobs = quality_goals.jobs(goal, tmp_path, host_factor=2.5)
    found = [value for job in jobs for value in budgets(job)]
    assert found == pytest.approx([2.5 * value for value in plain])


def test_the_readme_command_runs_as_written_on_a_slow_host(tmp_path):
    (job,) = quality_goals.jobs(2, tmp_path, host_factor=4.0)
    assert budgets(job) == []  # no budget flag added: the README's own default runs
    (scaled,) = quality_goals.jobs(2, tmp_path, scale=0.1, host_factor=4.0)
    assert budgets(scaled) == [pytest.approx(0.5)]  # the test scale alone


def _time_result(minutes_to_target, host_factor):
    trail = [{"minutes": 0.5 * step, "fid": 60.0 - step, "steps": 500 * step} for step in (1, 2, 3)]
    result = {"minutes_to_target": minutes_to_target, "evaluations": trail}
    return {"goal": 7, "result": result, "host_factor": host_factor, "minutes_scale": 1}


def test_the_one_minute_bar_scales_with_the_host_factor(tmp_path):
    for factor, verdict in ((1, "FAIL"), (2, "PASS")):
        # The bar is the self-conditioned DCGAN's, the first of the families.
        results = {"time_to_quality_self_conditioned": _time_result(1.5, factor)}
        (row, *_) = quality_goals.goal_rows(results, 7, tmp_path)
        assert row[3] == verdict
        assert ("host factor 2" in row[1]) == (factor == 2)


def test_the_report_names_the_runs_that_trained_longer():
    results = {
        "cgan": {"host_factor": 4.18, "matmul_peak_gflops": 104.0},
        "wgan_gp_seed0": {"host_factor": 4.18, "matmul_peak_gflops": 104.0},
        "dcgan_3min": {"host_factor": 1},
        "stylegan": {},
    }
    (blank, line) = quality_bar.host_factor_lines(results)
    assert "4.18" in line and "104 GFLOP/s" in line
    assert line.endswith(": cgan, wgan_gp_seed0.")
    assert quality_bar.host_factor_lines({"stylegan": {}}) == []


@pytest.mark.parametrize("value", ["0.5", "fast", "nan"])
def test_a_bad_host_factor_exits_with_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        quality_bar.main(["--report", "--host-factor", value])
    assert exit_info.value.code == 2
    assert "--host-factor: takes 'auto' or a number >= 1" in capsys.readouterr().err


def test_a_host_factor_given_by_hand_is_used_as_parsed():
    assert quality_bar.host_factor_argument("auto") == "auto"
    assert quality_bar.measure_speed(quality_bar.host_factor_argument("2.5")) == {
        "host_factor": 2.5,
        "matmul_peak_gflops": None,
    }
