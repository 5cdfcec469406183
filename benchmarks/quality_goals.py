"""The goals of the quality bar (benchmarks/quality_bar.py): the runs each goal needs, and the
rows (criterion, figure, PASS / FAIL / NOT RUN) it reads from the stored results.

Every time budget is multiplied by two factors:
- `host_factor`, part of the goals' definition: the budgets are wall-clock minutes on the
  AVX-512 host where the goals were set, so a slower host trains for longer, by the ratio of
  the matmul peaks (`host_factor_for`). A verdict read from such a run is a verdict.
- `scale`, for tests only; a verdict read from a scaled run says so.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
_SCRIPT = Path(PYTHON).parent / "gan-course"  # the console script the README runs
GAN_COURSE = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "gan_course"]
SAMPLES = 5000  # as `gan-course sample --n 5000`, scored by `gan-course evaluate`
ALL_GOALS = (1, 2, 3, 4, 5, 6, 7)
GOAL_NAMES = {
    0: "references (classic Keras MLP GAN, TF DCGAN tutorial), 10 min",
    1: "unconditional DCGAN, package defaults, 3 and 10 min: self-conditioned (plain beside it)",
    2: "README main job (`Set up and run`)",
    3: "WGAN-GP, 5 min, 3 seeds (weight clipping beside it)",
    4: "cGAN, 5 min",
    5: "StyleGAN-lite, 10 min, against the DCGAN's 10 min",
    6: "metric calibration",
    7: "time to quality: minutes to FID <= 40, each unconditional image family",
}
SCALED = "scaled budget: not a verdict"
# The float32 matmul peak (GFLOP/s, gan_course.machine.matmul_peak) of the 2-core EPYC
# AVX-512 host whose wall-clock minutes the goals are written in (benchmarks/README.md,
# "Performance": 430-443). float32, not bfloat16: every host has it, and bf16 units speed the
# course's small convolutions up far less than a matmul ("DCGAN changes tried on a fast
# host": 6,430 steps against 5,600 in 3 minutes), so the float32 ratio is the fairer one.
REFERENCE_PEAK_GFLOPS = 435.0


def host_factor_for(peak_gflops: float) -> float:
    """How many times longer every budget runs on a host with this float32 matmul peak:
    the reference peak over it, never below 1 (a faster host keeps the minutes as set)."""
    if not peak_gflops > 0:
        raise ValueError(f"the matmul peak must be positive GFLOP/s, got {peak_gflops!r}")
    return max(1.0, round(REFERENCE_PEAK_GFLOPS / peak_gflops, 2))


# Goal 7: every unconditional image family under one protocol (time_to_quality.py, FID of
# 4,500 samples every half minute of training, up to 5 minutes). The DCGAN's row carries the
# bar; the cGAN is left out because the script draws unconditional samples only (goal 4
# scores it at 5 minutes).
# The first holds goal 7's bar: the course's unconditional DCGAN (self-conditioned).
TIME_FAMILIES = ("self-conditioned", "dcgan", "wgan-gp", "stylegan", "wgan")
# Goal 0's stored results, shown beside goal 7's families.
REFERENCES = (("classic", "classic Keras MLP GAN"), ("tf_dcgan", "TF DCGAN tutorial"))


def time_to_quality_name(model: str) -> str:
    """The stored result of one family's time to quality (the DCGAN's keeps the plain name)."""
    return "time_to_quality" if model == "dcgan" else f"time_to_quality_{model.replace('-', '_')}"


# Goal 5's style-mixing and truncation rows: when benchmarks/stylegan_mixing.py has written
# stylegan_mixing.json into the results folder, its {"rows": [{"criterion", "figure",
# "passed"}]} are shown; until then both rows are NOT RUN.
MIXING_SCRIPT, MIXING_JSON = ROOT / "benchmarks" / "stylegan_mixing.py", "stylegan_mixing.json"


@dataclasses.dataclass
class Job:
    """One stored result: the commands that make it and what is scored."""

    name: str
    goal: int
    label: str
    commands: list[list[str]] = dataclasses.field(default_factory=list)
    samples: Path | None = None  # the .npz scored as `gan-course evaluate` scores it
    run_dir: Path | None = None  # its history.json gives the steps trained
    fresh: bool = True  # delete run_dir first (False: resume the run in it)
    seed: int = 0
    kind: str = "samples"  # "samples", "time_to_quality" or "calibration"


def shown(command: list[str]) -> str:
    """A command as someone would type it from the repository root."""
    text = shlex.join(command).replace(shlex.join(GAN_COURSE), "gan-course")
    return text.replace(PYTHON, "python").replace(str(ROOT) + "/", "")


def readme_command() -> list[str]:
    """The first `gan-course train` of README.md's "Set up and run" block, as arguments."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Set up and run", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    for part in block.split("&&"):
        words = shlex.split(part)
        if len(words) > 1 and words[0].endswith("gan-course") and words[1] == "train":
            return words[1:]
    raise ValueError("README.md's 'Set up and run' block has no `gan-course train` command")


def _train(model: str, run_dir: Path, minutes: float, seed: int | None = None) -> list[str]:
    command = [*GAN_COURSE, "train", model, "--out", str(run_dir), "--no-progress"]
    command += ["--epochs", "100000"]  # the time budget, not the epoch count, ends training
    command += ["--max-minutes", f"{minutes:g}"]
    return command + (["--seed", str(seed)] if seed is not None else [])


def _sample(run_dir: Path, path: Path) -> list[str]:
    return [*GAN_COURSE, "sample", "--from", str(run_dir), "--n", str(SAMPLES), "--out", str(path)]


def _trained(name, goal, label, model, minutes, out, *, seed=None, run_dir=None, fresh=True):
    run_dir = run_dir or out / f"{name}_run"
    commands = [_train(model, run_dir, minutes, seed), _sample(run_dir, out / f"{name}.npz")]
    return Job(name, goal, label, commands, out / f"{name}.npz", run_dir, fresh, seed or 0)


def _reference(name: str, label: str, script: str, out: Path, minutes: float) -> Job:
    command = [PYTHON, f"benchmarks/{script}", "--minutes", f"{minutes:g}"]
    command += ["--n", str(SAMPLES), "--out", str(out / f"{name}.npz")]
    return Job(name, 0, label, [command], out / f"{name}.npz", fresh=False)


def jobs(
    goal: int, out: Path, *, scale: float = 1.0, host_factor: float = 1.0, seeds=(0, 1, 2)
) -> list[Job]:
    """The runs of one goal, in the order they must run. Budgets are multiplied by
    `scale * host_factor`, except goal 2's: the README's command runs as a user types it."""
    readme_scale, scale = scale, scale * host_factor
    if goal == 0:
        scripts = ("reference_classic_gan.py", "reference_tf_dcgan.py")  # REFERENCES' order
        return [
            _reference(name, label, script, out, 10 * scale)
            for (name, label), script in zip(REFERENCES, scripts)
        ]
    if goal == 1:
        runs = []
        # The self-conditioned DCGAN holds the bars; the plain DCGAN is shown beside it, and
        # its 10 minutes are goal 5's reference (the StyleGAN-lite shares its discriminator).
        for prefix, model, title in (
            ("self_conditioned", "self-conditioned", "self-conditioned DCGAN"),
            ("dcgan", "dcgan", "DCGAN"),
        ):
            run = out / f"{prefix}_run"
            early = _trained(
                f"{prefix}_3min", 1, f"{title}, 3 min", model, 3 * scale, out, run_dir=run
            )
            label = f"{title}, 10 min (3 resumed for 7)"
            late = _trained(
                f"{prefix}_10min", 1, label, model, 7 * scale, out, run_dir=run, fresh=False
            )
            runs += [early, late]
        return runs
    if goal == 2:
        words, run = readme_command(), out / "readme_dcgan_run"
        if "--out" in words:
            words[words.index("--out") + 1] = str(run)  # a fresh folder: runs/dcgan would resume
        else:
            words += ["--out", str(run)]
        words += ["--max-minutes", f"{5 * readme_scale:g}"] if readme_scale != 1 else []
        samples = out / "readme_dcgan.npz"
        commands = [[*GAN_COURSE, *words], _sample(run, samples)]
        return [Job("readme_dcgan", 2, "README main job", commands, samples, run)]
    if goal == 3:
        runs = []
        for seed in seeds:
            name, label = f"wgan_gp_seed{seed}", f"WGAN-GP seed {seed}"
            runs.append(_trained(name, 3, label, "wgan-gp", 5 * scale, out, seed=seed))
        clipping = _trained("wgan_seed0", 3, "WGAN clipping seed 0", "wgan", 5 * scale, out, seed=0)
        return runs + [clipping]
    if goal == 4:
        return [_trained("cgan", 4, "cgan, 5 min", "cgan", 5 * scale, out)]
    if goal == 5:
        job = _trained("stylegan", 5, "stylegan, 10 min", "stylegan", 10 * scale, out)
        mixing = [PYTHON, str(MIXING_SCRIPT.relative_to(ROOT)), "--run", str(job.run_dir)]
        job.commands.append([*mixing, "--out", str(out)])  # its own entry in wall_seconds
        return [job]
    if goal == 6:
        return [Job("calibration", 6, "metric calibration", kind="calibration")]
    if goal == 7:
        runs = []
        for model in TIME_FAMILIES:
            command = [PYTHON, "benchmarks/time_to_quality.py", "--model", model, "--target", "40"]
            command += ["--max-minutes", f"{5 * scale:g}", "--every", f"{0.5 * scale:g}"]
            name, label = time_to_quality_name(model), f"{model}: time to FID 40"
            runs.append(Job(name, 7, label, [command], kind="time_to_quality"))
        return runs
    raise ValueError(f"no goal {goal}: goals are 0-7")


_LATE = "self_conditioned_10min"  # the course's unconditional DCGAN's 10-minute samples
# Goal -> bars: (stored result, score key, ">=" or "<=", limit, criterion, figure format).
BARS = {
    1: [
        ("self_conditioned_3min", "fid", "<=", 20, "FID at 3 min <= 20", "{:.2f}"),
        (_LATE, "fid", "<=", 12, "FID at 10 min <= 12", "{:.2f}"),
        (_LATE, "min_class_share", ">=", 0.07, "every digit >= 7% (10 min)", "{:.3f}"),
        (_LATE, "memorisation", ">=", 0.9, "memorisation >= 0.9 (10 min)", "{:.2f}"),
        (_LATE, "recognisable_share", ">=", 0.95, "recognisable share >= 0.95 (10 min)", "{:.3f}"),
    ],
    2: [("readme_dcgan", "fid", "<=", 20, "FID <= 20", "{:.2f}")],
    4: [
        ("cgan", "fid", "<=", 7, "FID <= 7", "{:.2f}"),
        ("cgan", "conditional_accuracy", ">=", 0.99, "requested-digit accuracy >= 0.99", "{:.4f}"),
    ],
}
# Goal -> figures shown beside the bars: (stored result, {score key: format}, what).
_PLAIN = {"fid": "{:.2f}", "min_class_share": "{:.3f}", "recognisable_share": "{:.3f}"}
SHOWN = {
    1: [
        ("dcgan_3min", _PLAIN, "plain DCGAN (`dcgan`), 3 min"),
        ("dcgan_10min", _PLAIN, "plain DCGAN (`dcgan`), 10 min"),
    ],
    3: [("wgan_seed0", {"fid": "{:.2f}", "kl_to_uniform": "{:.3f}"}, "weight clipping, 5 min")],
    4: [
        (
            "cgan",
            {"per_class_recall_mean": "{:.2f}", "per_class_recall_min": "{:.2f}"},
            "within-class diversity (per-class recall)",
        )
    ],
}


def runs_by_host(results: dict) -> dict[str, tuple[list[str], list[str]]]:
    """host -> (names of the stored results measured there, their sorted dates, YYYY-MM-DD)."""
    hosts: dict[str, list[str]] = {}
    for name, entry in results.items():
        hosts.setdefault(entry.get("host", "unknown machine"), []).append(name)
    return {
        host: (names, sorted(results[name]["date"][:10] for name in names))
        for host, names in hosts.items()
    }


class Rows:
    """The report's rows of one goal from the stored results (name -> entry)."""

    def __init__(self, results: dict, goal: int):
        self.results, self.goal, self.rows = results, goal, []

    def add(self, criterion: str, figure: str, verdict: str) -> None:
        self.rows.append((self.goal, criterion, figure, verdict))

    def value(self, name: str, key: str, goal: int | None = None):
        """(value, None), or (None, the NOT RUN / FAIL verdict that replaces the row's)."""
        entry = self.results.get(name)
        if entry is None:
            return None, f"NOT RUN: no stored result for {name} (run --goals {goal or self.goal})"
        if "not_run" in entry:
            return None, f"NOT RUN: {entry['not_run']}"
        if "error" in entry:
            return None, f"FAIL: {entry['error']}"
        scores = entry.get("scores", entry.get("result", {}))
        if key not in scores:
            return None, f"NOT RUN: the scores have no {key!r} (gan_course/evaluation/metrics.py)"
        return scores[key], None

    def verdict(self, passed: bool, names) -> str:
        scaled = any(self.results[name].get("minutes_scale", 1) != 1 for name in names)
        return ("PASS" if passed else "FAIL") + (f" ({SCALED})" if scaled else "")

    def bar(self, name: str, key: str, criterion: str, limit: float, *, higher=False, fmt="{:.2f}"):
        """A row that passes when the score `key` of `name` is <= limit (>= when higher)."""
        value, missing = self.value(name, key)
        if missing:
            return self.add(criterion, "", missing)
        passed = value >= limit if higher else value <= limit
        self.add(criterion, fmt.format(value), self.verdict(passed, [name]))

    def shown(self, name: str, keys: dict[str, str], criterion: str):
        """A row with figures only (no bar): keys is {score key: format}."""
        figures = []
        for key, fmt in keys.items():
            value, missing = self.value(name, key)
            if missing:
                return self.add(criterion, ", ".join(figures), missing)
            figures.append(f"{key} {fmt.format(value)}")
        self.add(criterion, ", ".join(figures), "shown (no bar)")


def _seeds_row(rows: Rows, key: str, criterion: str, limit: float, seeds=(0, 1, 2)) -> None:
    """Each seed's run must pass; the figure is mean ± standard deviation over the seeds."""
    values, missing = {}, {}
    for seed in seeds:
        value, reason = rows.value(f"wgan_gp_seed{seed}", key)
        if reason:
            missing[seed] = reason
        else:
            values[seed] = value
    figure = ""
    if values:
        spread = statistics.stdev(values.values()) if len(values) > 1 else 0.0
        each = ", ".join(f"seed {seed}: {value:.3g}" for seed, value in values.items())
        figure = f"{statistics.mean(values.values()):.3g} ± {spread:.2g} ({each})"
    failed = [seed for seed, value in values.items() if not value <= limit]
    if failed or not missing:
        names = [f"wgan_gp_seed{seed}" for seed in values]
        return rows.add(criterion, figure, rows.verdict(not failed, names))
    verdict = "FAIL" if any(why.startswith("FAIL") for why in missing.values()) else "NOT RUN"
    why = "; ".join(f"seed {seed}: {text.split(': ', 1)[1]}" for seed, text in missing.items())
    rows.add(criterion, figure, f"{verdict}: {why}")


def _stylegan_rows(rows: Rows, out: Path) -> None:
    style, reason = rows.value("stylegan", "fid")
    dcgan, dcgan_reason = rows.value("dcgan_10min", "fid", goal=1)
    criterion = "FID <= 1.1 x the DCGAN's 10-minute FID"
    if reason or dcgan_reason:
        rows.add(criterion, "", reason or dcgan_reason)
    else:
        figure = f"{style:.2f} vs 1.1 x {dcgan:.2f} = {1.1 * dcgan:.2f}"
        rows.add(criterion, figure, rows.verdict(style <= 1.1 * dcgan, ["stylegan", "dcgan_10min"]))
    path = out / MIXING_JSON
    if MIXING_SCRIPT.exists() and path.exists():
        for row in json.loads(path.read_text()).get("rows", []):
            rows.add(row["criterion"], str(row["figure"]), "PASS" if row["passed"] else "FAIL")
        return
    for criterion in ("style mixing", "truncation"):
        rows.add(criterion, "", "NOT RUN: measured by benchmarks/stylegan_mixing.py")


def _time_figure(rows: Rows, name: str) -> tuple[float | None, str | None, str]:
    """(minutes to FID 40 or None, the NOT RUN / FAIL reason or None, the figure)."""
    minutes, reason = rows.value(name, "minutes_to_target")
    if reason:
        return None, reason, ""
    entry = rows.results[name]
    trail = entry["result"].get("evaluations", [])
    if minutes is not None:
        steps = next((row["steps"] for row in trail if row["minutes"] >= minutes), None)
        return minutes, None, f"{minutes} min ({steps} steps)"
    last = f"; FID {trail[-1]['fid']} at {trail[-1]['minutes']} min" if trail else ""
    return None, None, f"not reached{last}"


def _time_rows(rows: Rows) -> None:
    barred = rows.results.get(time_to_quality_name(TIME_FAMILIES[0]), {})
    host_factor = barred.get("host_factor", 1)
    limit = barred.get("minutes_scale", 1) * host_factor  # the 1 minute scales as the budgets do
    for model in TIME_FAMILIES:
        name = time_to_quality_name(model)
        minutes, reason, figure = _time_figure(rows, name)
        if model == TIME_FAMILIES[0]:
            criterion = f"{model} DCGAN: minutes of training to FID <= 40: <= 1"
            criterion += f" x host factor {host_factor:g}" if host_factor != 1 else ""
            passed = minutes is not None and minutes <= limit
            rows.add(criterion, figure, reason or rows.verdict(passed, [name]))
        else:
            rows.add(
                f"{model}: minutes of training to FID <= 40", figure, reason or "shown (no bar)"
            )
    for name, label in REFERENCES:
        if name in rows.results:  # goal 0, when stored
            keys = {"fid": "{:.2f}", "min_class_share": "{:.3f}"}
            rows.shown(name, keys, f"reference: {label}, FID after 10 min")


def _readme_time_row(rows: Rows) -> None:
    criterion = "ends within 5 min of wall-clock (from the process start)"
    _, reason = rows.value("readme_dcgan", "fid")  # the run ended and was scored
    if reason:
        return rows.add(criterion, "", reason)
    entry = rows.results["readme_dcgan"]
    seconds, scale = entry["wall_seconds"][0], entry.get("minutes_scale", 1)
    passed = seconds <= 300 * scale  # the README run has no budget flag; 5 min is the bar
    rows.add(criterion, f"{seconds / 60:.2f} min", rows.verdict(passed, ["readme_dcgan"]))


def _calibration_row(rows: Rows) -> None:
    criterion = "every metric ranks the calibration sets correctly"
    passed, reason = rows.value("calibration", "passed")
    if reason:
        return rows.add(criterion, "", reason)
    checks = rows.results["calibration"]["result"]["checks"]
    broken = [metric for metric, check in checks.items() if not check["passed"]]
    figure = f"{len(checks) - len(broken)} of {len(checks)} metrics pass"
    figure += f"; broken: {', '.join(broken)}" if broken else ""
    rows.add(criterion, figure, "PASS" if passed else "FAIL")


def goal_rows(results: dict, goal: int, out: Path) -> list[tuple]:
    """(goal, criterion, figure, verdict) for one goal."""
    rows = Rows(results, goal)
    if goal == 2:
        _readme_time_row(rows)
    if goal == 3:
        _seeds_row(rows, "fid", "FID <= 25, each of 3 seeds", 25)
        _seeds_row(rows, "kl_to_uniform", "class KL to uniform <= 0.02, each of 3 seeds", 0.02)
    for name, key, sign, limit, criterion, fmt in BARS.get(goal, []):
        rows.bar(name, key, criterion, limit, higher=sign == ">=", fmt=fmt)
    for name, keys, criterion in SHOWN.get(goal, []):
        rows.shown(name, keys, criterion)
    if goal == 5:
        _stylegan_rows(rows, out)
    if goal == 6:
        _calibration_row(rows)
    if goal == 7:
        _time_rows(rows)
    return rows.rows
