"""The course's quality bar: each family's goal, trained on this machine's clock and scored.

    python benchmarks/quality_bar.py                  # goals 1-7, about 65 min on a 2-core CPU
    python benchmarks/quality_bar.py --goals 0        # the two reference GANs, 21 min more
    python benchmarks/quality_bar.py --goals 3 --seeds 0,1,2
    python benchmarks/quality_bar.py --report         # the table from the stored results only
    python benchmarks/quality_bar.py --publish        # commit them: benchmarks/results/, README.md
    python benchmarks/quality_bar.py --goals 1,4 --minutes-scale 0.05   # test the mechanics

Goals (wall-clock training minutes on a 2-core CPU; runs and bars in quality_goals.py):
0. references, only when asked for: the classic Keras MLP GAN (reference_classic_gan.py) and
   the TensorFlow DCGAN tutorial (reference_tf_dcgan.py), 10 min each; shown in goal 7's rows;
1. DCGAN, package defaults: FID <= 20 after 3 min and <= 12 after 10 (the 3-minute run folder
   resumed for 7 more); at 10 min every digit >= 7% of samples, memorisation >= 0.9 and
   recognisable share >= 0.95;
2. README.md's "Set up and run" training command, as written (no budget flag; a fresh run
   folder under the results folder): ends within 5 min from the process start, FID <= 20;
3. WGAN-GP, 5 min, seeds 0, 1, 2: FID <= 25 and class KL to uniform <= 0.02 for each (mean ±
   standard deviation shown); weight clipping (seed 0, 5 min) shown beside it;
4. cGAN, 5 min: FID <= 7, requested-digit accuracy >= 0.99, per-class recall shown;
5. StyleGAN-lite, 10 min: FID <= 1.1 x goal 1's 10-minute FID (style mixing and truncation:
   benchmarks/stylegan_mixing.py);
6. metric calibration (calibrate_metrics.calibration_results()): every metric passes;
7. time_to_quality.py --model M --target 40 --max-minutes 5 --every 0.5 for the DCGAN,
   WGAN-GP, StyleGAN-lite and weight-clipping WGAN: the DCGAN at FID 40 within 1 min.

Goals 1 and 3-5 train with `gan-course train ... --epochs 100000 --max-minutes M` (the clock,
not the epoch count, ends a run); every run draws `gan-course sample --n 5000`, scored as `gan-course evaluate`
scores it (against the 4,500 mnist_5k training digits, memorisation against the 500 held-out
ones). The script holds the shared CPU lock (`/tmp/gan_course_cpu.lock`, as `flock` takes it)
from the first run to the last. Each scored run is merged into runs/quality_bar/results.json
(date, machine, seed, commands, wall seconds, steps, scores), so goals can be run apart; the
PASS / FAIL / NOT RUN table of every goal goes to runs/quality_bar/report.md and stdout.
`--minutes-scale` multiplies every budget, for testing only: its results go to
runs/quality_bar_scaled/ and every verdict read from them says "scaled budget: not a verdict".

The minutes above are those of the 2-core AVX-512 host on which the goals were set. On a
slower host every budget but the README command's (which runs as a user types it) is
multiplied by the host factor, the reference float32 matmul peak over this host's
(quality_goals.host_factor_for; 1 on a host as fast or faster), measured at the start;
`--host-factor F` sets it instead (1: the minutes as written). Each stored result keeps its
factor and the measured peak, and the report names them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # quality_goals, machine, calibration
from quality_goals import (
    ALL_GOALS,
    GOAL_NAMES,
    REFERENCE_PEAK_GFLOPS,
    ROOT,
    SCALED,
    Job,
    goal_rows,
    host_factor_for,
    jobs,
    runs_by_host,
    shown,
)

LOCK = "/tmp/gan_course_cpu.lock"


@contextlib.contextmanager
def cpu_lock():
    """Hold the lock that every CPU-heavy job of the project takes with `flock`."""
    import fcntl

    with open(LOCK, "a") as handle:
        print(f"waiting for the CPU lock {LOCK} ...", flush=True)
        fcntl.flock(handle, fcntl.LOCK_EX)
        print(f"holding the CPU lock since {datetime.datetime.now():%H:%M:%S}", flush=True)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_results(out: Path) -> dict:
    path = out / "results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def store(out: Path, name: str, entry: dict) -> None:
    """Merge one entry into results.json (the other goals' entries stay)."""
    results = load_results(out)
    results[name] = entry
    (out / "results.json").write_text(json.dumps(results, indent=1, default=float) + "\n")


def steps_trained(job: Job, log: Path) -> int | None:
    """Training steps behind the scored samples: the run's history, else the script's output."""
    if job.run_dir is not None and (job.run_dir / "history.json").exists():
        history = json.loads((job.run_dir / "history.json").read_text())
        return history[-1]["step"] if history else None
    if job.samples is not None and job.samples.exists():
        import numpy as np

        with np.load(job.samples) as arrays:
            if "steps" in arrays:
                return int(arrays["steps"])
    found = re.findall(r"(\d+) steps", log.read_text()) if log.exists() else []
    return int(found[-1]) if found else None


def run_commands(job: Job, log: Path) -> list[float]:
    """Run the job's commands one after another into its log; wall seconds of each."""
    if job.fresh and job.run_dir is not None and job.run_dir.exists():
        print(f"  removing {job.run_dir} for a fresh run", flush=True)
        shutil.rmtree(job.run_dir)
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    seconds = []
    with open(log, "w") as handle:
        for command in job.commands:
            print(f"  $ {shown(command)}", flush=True)
            started = time.monotonic()  # from the process start: interpreter and imports count
            subprocess.run(
                command, cwd=ROOT, env=environment, check=True, stdout=handle, stderr=handle
            )
            seconds.append(round(time.monotonic() - started, 1))
    return seconds


def calibration() -> dict:
    import calibrate_metrics

    if not hasattr(calibrate_metrics, "calibration_results"):
        return {"not_run": "benchmarks/calibrate_metrics.py has no calibration_results()"}
    results = calibrate_metrics.calibration_results()
    kept = {key: results[key] for key in ("passed", "checks", "seconds") if key in results}
    return {"result": kept}


def result_of(job: Job, log: Path) -> dict:
    """What the job measured: {"scores": ...}, {"result": ...} or {"not_run": why}."""
    if job.kind == "samples":
        from gan_course.evaluation.score_file import evaluate_file

        return {"scores": evaluate_file(job.samples)}
    if job.kind == "time_to_quality":
        lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
        return {"result": json.loads(lines[-1])}  # the script's final JSON line
    return calibration()


def run_job(job: Job, out: Path, *, host: str, scale: float, speed: dict | None = None) -> dict:
    """Run one job and return its stored entry; `speed` ({"host_factor", "matmul_peak_gflops"})
    is stored with it."""
    started = datetime.datetime.now().isoformat(timespec="seconds")
    commands = [shown(command) for command in job.commands]
    if job.kind == "samples":
        commands.append(shown(["gan-course", "evaluate", str(job.samples)]))
    if job.kind == "calibration":
        commands.append("python benchmarks/calibrate_metrics.py  # calibration_results()")
    entry = {"goal": job.goal, "label": job.label, "date": started, "host": host}
    entry.update(seed=job.seed, commands=commands, minutes_scale=scale, **(speed or {}))
    log = out / "logs" / f"{job.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if not job.fresh and job.run_dir is not None and not (job.run_dir / "history.json").exists():
        entry["error"] = f"{job.run_dir} holds no run to resume (run the whole goal)"
        return entry
    try:
        entry["wall_seconds"] = run_commands(job, log)
        began = time.monotonic()
        entry.update(result_of(job, log))
        entry["score_seconds"] = round(time.monotonic() - began, 1)
        if not job.commands:  # measured in this process (calibration)
            entry["wall_seconds"] = [entry["score_seconds"]]
    except subprocess.CalledProcessError as error:
        entry["error"] = f"exit code {error.returncode} from `{shown(error.cmd)}` (log: {log})"
    entry["steps"] = steps_trained(job, log)
    return entry


def summary(entry: dict) -> str:
    if "error" in entry or "not_run" in entry:
        return entry.get("error") or f"not run: {entry['not_run']}"
    scores = entry.get("scores") or entry.get("result", {})
    figures = [f"{key} {scores[key]:.3f}" for key in ("fid", "min_class_share") if key in scores]
    figures += [f"{key} {scores[key]}" for key in ("minutes_to_target", "passed") if key in scores]
    seconds = "+".join(f"{value:g}" for value in entry.get("wall_seconds", []))
    return f"{', '.join(figures)}; {seconds} s, steps {entry.get('steps')}"


def report(results: dict, out: Path) -> str:
    """The Markdown report: the machines, one row per criterion, the commands behind each."""
    lines = ["# Quality bar", ""] + ([] if results else ["No stored results yet."])
    for host, (names, dates) in runs_by_host(results).items():
        lines.append(f"Measured {dates[0]} to {dates[-1]} on {host}: {', '.join(names)}.")
    lines += host_factor_lines(results)
    if any(entry.get("minutes_scale", 1) != 1 for entry in results.values()):
        lines += ["", f"Some budgets were multiplied by --minutes-scale ({SCALED})."]
    lines += ["", "| goal | criterion | figure | verdict |", "|---|---|---|---|"]
    for goal in ALL_GOALS:
        for index, (_, criterion, figure, verdict) in enumerate(goal_rows(results, goal, out)):
            title = f"{goal}. {GOAL_NAMES[goal]}" if index == 0 else ""
            lines.append(f"| {title} | {criterion} | {figure} | {verdict} |")
    lines += ["", "Commands (from the repository root), one stored result each:", "", "```"]
    for name, entry in sorted(results.items(), key=lambda item: (item[1]["goal"], item[1]["date"])):
        wall = "+".join(f"{value:g}" for value in entry.get("wall_seconds", [])) or "?"
        lines.append(f"# {name} (goal {entry['goal']}): {entry['date']}, seed {entry['seed']}, ")
        lines[-1] += f"{wall} s wall, {entry.get('steps')} steps"
        lines += entry["commands"]
    return "\n".join([*lines, "```"])


def host_factor_lines(results: dict) -> list[str]:
    """One line for each host factor other than 1: which runs trained longer, and why."""
    factors: dict[tuple, list[str]] = {}
    for name, entry in sorted(results.items()):
        if entry.get("host_factor", 1) != 1:
            key = (entry["host_factor"], entry.get("matmul_peak_gflops"))
            factors.setdefault(key, []).append(name)
    lines = []
    for (factor, peak), names in factors.items():
        measured = f"float32 matmul peak {peak:.0f} GFLOP/s" if peak else "a factor set by hand"
        lines += [
            "",
            f"Budgets multiplied by the host factor {factor:g} ({measured}, against "
            f"{REFERENCE_PEAK_GFLOPS:.0f} on the host where the goals were set): {', '.join(names)}.",
        ]
    return lines


def host_factor_argument(text: str):
    """`--host-factor`: "auto" (measure the matmul peak) or a number >= 1, parsed once here."""
    if text == "auto":
        return text
    try:
        factor = float(text)
    except ValueError:
        factor = 0.0
    if not factor >= 1:
        raise argparse.ArgumentTypeError(f"takes 'auto' or a number >= 1, got {text!r}")
    return factor


def measure_speed(chosen) -> dict:
    """{"host_factor", "matmul_peak_gflops"}: measured here, or the factor `--host-factor` gave."""
    if chosen != "auto":
        return {"host_factor": chosen, "matmul_peak_gflops": None}
    from machine import matmul_peak

    peak = matmul_peak("float32", seconds=10.0)  # best of 10 s: a busy moment reads too slow
    return {"host_factor": host_factor_for(peak), "matmul_peak_gflops": round(peak, 1)}


def parse_numbers(text: str, name: str, allowed=None) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"{name} takes comma-separated integers, got {text!r}") from None
    if not numbers or (allowed is not None and not set(numbers) <= set(allowed)):
        raise SystemExit(f"{name} must name some of {sorted(allowed)}, got {text!r}")
    return numbers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    goals = ",".join(map(str, ALL_GOALS))
    parser.add_argument("--goals", default=goals, help=f"goals to run, 0-7 (default {goals})")
    parser.add_argument("--seeds", default="0,1,2", help="goal 3's WGAN-GP seeds (default 0,1,2)")
    parser.add_argument("--out", help="results folder (default runs/quality_bar)")
    parser.add_argument(
        "--only", help="run only these stored results of the chosen goals, by name (a,b,...)"
    )
    parser.add_argument("--report", action="store_true", help="print the stored results only")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="copy the stored results to benchmarks/results/ and rewrite README.md's table",
    )
    parser.add_argument(
        "--minutes-scale", type=float, default=1.0, help="multiply every budget (tests only)"
    )
    parser.add_argument(
        "--host-factor",
        type=host_factor_argument,
        default="auto",
        help="multiply the budgets by this instead of the measured factor (1: as written)",
    )
    args = parser.parse_args(argv)
    if args.minutes_scale <= 0:
        parser.error("--minutes-scale must be positive")
    chosen = parse_numbers(args.goals, "--goals", allowed=GOAL_NAMES)
    seeds = parse_numbers(args.seeds, "--seeds")
    default_out = "runs/quality_bar" if args.minutes_scale == 1 else "runs/quality_bar_scaled"
    out = (ROOT / (args.out or default_out)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.publish and args.minutes_scale != 1:
        parser.error("--publish takes the unscaled results only")
    if not (args.report or args.publish):
        from machine import machine_report

        host = machine_report()
        print(host, flush=True)
        with cpu_lock():
            speed = measure_speed(args.host_factor)
            print(f"host factor {speed['host_factor']:g} ({speed})", flush=True)
            for goal in chosen:
                print(f"goal {goal}: {GOAL_NAMES[goal]}", flush=True)
                budgets = dict(scale=args.minutes_scale, host_factor=speed["host_factor"])
                for job in jobs(goal, out, seeds=seeds, **budgets):
                    if args.only and job.name not in args.only.split(","):
                        continue
                    entry = run_job(job, out, host=host, scale=args.minutes_scale, speed=speed)
                    store(out, job.name, entry)
                    print(f"  {job.name}: {summary(entry)}", flush=True)
    text = report(load_results(out), out)
    (out / "report.md").write_text(text + "\n")
    print(text)
    if args.publish:
        from quality_publish import publish

        publish(out)
        print("published: benchmarks/results/, README.md's quality-bar table")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
