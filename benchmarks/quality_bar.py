"""Issue 3's quality bar: the course DCGAN against two reference GANs, same data, same clock.

    python benchmarks/quality_bar.py                    # ~35 min on a 2-core CPU
    python benchmarks/quality_bar.py --score-only       # re-score the saved samples

Each implementation trains on the 4,500 mnist_5k training images, one at a time. The
script takes the shared CPU lock (`/tmp/gan_course_cpu.lock`, as `flock` does) once and
holds it until the table is written, so nothing else competes for the CPU and all runs
are timed back to back:
1. the classic Keras vanilla GAN (benchmarks/reference_classic_gan.py), 10 minutes;
2. the TensorFlow DCGAN tutorial (benchmarks/reference_tf_dcgan.py), 10 minutes;
3. the course DCGAN (`gan-course train dcgan`), 3 minutes, sampled, then the same run
   folder resumed for 7 more minutes (10 in all) and sampled again.
Each draws 4,500 samples into runs/quality_bar/*.npz; then gan_course.evaluation.metrics scores
them on the course digit classifier against the 4,500 training images (the reference
set), with the memorisation ratio against the 500 held-out digits. The Markdown table
(with the machine and the commands) goes to runs/quality_bar/table.md and stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = "/tmp/gan_course_cpu.lock"
PYTHON = sys.executable


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


def jobs(out: Path, *, minutes: float, early_minutes: float, count: int) -> list[dict]:
    """The runs of the benchmark, in order: name, commands, and the samples file each writes."""
    run = out / "dcgan_run"
    train = [PYTHON, "-m", "gan_course", "train", "dcgan", "--out", str(run), "--no-progress"]
    train += ["--epochs", "100000"]  # the time budget, not the epoch count, ends training

    def sample(name):
        return [PYTHON, "-m", "gan_course", "sample", "--from", str(run), "--n", str(count)] + [
            "--out",
            str(out / f"{name}.npz"),
        ]

    return [
        {
            "name": "classic",
            "label": f"classic Keras vanilla GAN (MLP, train_on_batch), {minutes:g} min",
            "minutes": minutes,
            "commands": [
                [PYTHON, "benchmarks/reference_classic_gan.py", "--minutes", f"{minutes:g}"]
                + ["--n", str(count), "--out", str(out / "classic.npz")]
            ],
        },
        {
            "name": "tf_dcgan",
            "label": f"TF DCGAN tutorial (Adam 1e-4, batch 256), {minutes:g} min",
            "minutes": minutes,
            "commands": [
                [PYTHON, "benchmarks/reference_tf_dcgan.py", "--minutes", f"{minutes:g}"]
                + ["--n", str(count), "--out", str(out / "tf_dcgan.npz")]
            ],
        },
        {
            "name": "dcgan_early",
            "label": f"course DCGAN (defaults), {early_minutes:g} min",
            "minutes": early_minutes,
            "commands": [train + ["--max-minutes", f"{early_minutes:g}"], sample("dcgan_early")],
        },
        {
            "name": "dcgan",
            "label": f"course DCGAN (defaults), {minutes:g} min (resumed after {early_minutes:g})",
            "minutes": minutes,
            "commands": [
                train + ["--max-minutes", f"{minutes - early_minutes:g}"],
                sample("dcgan"),
            ],
        },
    ]


def machine() -> str:
    import tensorflow as tf

    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, TensorFlow {tf.__version__}, CPU only"


def train_all(out: Path, job_list: list[dict], only: set[str] | None) -> None:
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    for job in job_list:
        if only and job["name"] not in only:
            continue
        seconds = []
        for command in job["commands"]:
            print("$", " ".join(command), flush=True)
            with open(out / f"{job['name']}.log", "a") as log:
                started = time.monotonic()
                subprocess.run(
                    command, cwd=ROOT, env=environment, check=True, stdout=log, stderr=log
                )
                seconds.append(round(time.monotonic() - started, 1))
        timings[job["name"]] = seconds
        timings.setdefault("steps", {})[job["name"]] = record_steps(out, job["name"])
        timings_path.write_text(json.dumps(timings, indent=1))


def steps_trained(out: Path, name: str) -> int | None:
    """Training steps behind a samples file (recorded when its run ended)."""
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    return timings.get("steps", {}).get(name)


def record_steps(out: Path, name: str) -> int | None:
    import numpy as np

    if name.startswith("dcgan"):  # the run folder's history; a resumed run rewrites it later
        history_path = out / "dcgan_run" / "history.json"
        return json.loads(history_path.read_text())[-1]["step"] if history_path.exists() else None
    with np.load(out / f"{name}.npz") as arrays:
        if "steps" in arrays:
            return int(arrays["steps"])
    found = re.findall(r"(\d+) steps of batch", (out / f"{name}.log").read_text())
    return int(found[-1]) if found else None  # the classic reference prints its step count


def score_all(out: Path, job_list: list[dict]) -> list[dict]:
    import numpy as np

    from gan_course.data import load_dataset
    from gan_course.evaluation.metrics import evaluate_samples

    train_images, _ = load_dataset("mnist_5k")
    held_out, _ = load_dataset("mnist_5k", split="test")
    rows = []
    for job in job_list:
        path = out / f"{job['name']}.npz"
        if not path.exists():
            print(f"(no samples for {job['name']}: {path} missing)")
            continue
        with np.load(path) as arrays:
            samples = arrays["x"]
        row = evaluate_samples(samples, real=train_images, train=train_images, held_out=held_out)
        row.update(name=job["name"], label=job["label"], steps=steps_trained(out, job["name"]))
        rows.append(row)
    return rows


def verdict(rows: list[dict]) -> list[str]:
    by_name = {row["name"]: row for row in rows}
    if not {"classic", "tf_dcgan", "dcgan_early", "dcgan"} <= set(by_name):
        return ["(not all four runs are scored; no verdict)"]
    best_reference = min(by_name["classic"]["fid"], by_name["tf_dcgan"]["fid"])
    early, final = by_name["dcgan_early"], by_name["dcgan"]
    checks = [
        (
            f"course DCGAN after the short budget beats both references: FID {early['fid']:.2f} < {best_reference:.2f}",
            early["fid"] < best_reference,
        ),
        (
            f"course DCGAN after the full budget is at most half the better reference: FID {final['fid']:.2f} <= {best_reference / 2:.2f}",
            final["fid"] <= best_reference / 2,
        ),
        (
            f"all 10 digits, none under 5% of samples: min share {final['min_class_share']:.3f}",
            final["min_class_share"] >= 0.05,
        ),
        (
            f"no copying: memorisation ratio {final['memorisation']:.2f} (copies would be << 1)",
            final["memorisation"] >= 0.8,
        ),
    ]
    return [f"- {'PASS' if passed else 'FAIL'}: {text}" for text, passed in checks]


def table(rows: list[dict], out: Path, commands: list[str], minutes: float) -> str:
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine()}; every run alone under the CPU lock.",
        "",
        "| implementation | steps | FID | KID | precision | recall | min class share | KL to uniform | memorisation |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['steps'] if row['steps'] is not None else '?'} | {row['fid']:.2f} "
            f"| {row['kid']:.2f} ± {row['kid_se']:.2f} | {row['precision']:.2f} "
            f"| {row['recall']:.2f} | {row['min_class_share']:.3f} | {row['kl_to_uniform']:.3f} "
            f"| {row['memorisation']:.2f} |"
        )
    lines += ["", *verdict(rows), "", "Commands (run from the repository root):", "", "```"]
    lines += ["python benchmarks/quality_bar.py   # runs, in order, under the CPU lock:"]
    lines += commands + ["```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/quality_bar", help="folder for samples and runs")
    parser.add_argument("--minutes", type=float, default=10.0, help="full budget (default 10)")
    parser.add_argument("--early-minutes", type=float, default=3.0, help="DCGAN's short budget")
    parser.add_argument("--n", type=int, default=4500, help="samples per run (default 4500)")
    parser.add_argument(
        "--only", default="", help="comma-separated subset: classic,tf_dcgan,dcgan_early,dcgan"
    )
    parser.add_argument("--score-only", action="store_true", help="score saved samples only")
    args = parser.parse_args(argv)
    if not 0 < args.early_minutes < args.minutes:
        parser.error("--early-minutes must be positive and below --minutes")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    job_list = jobs(out, minutes=args.minutes, early_minutes=args.early_minutes, count=args.n)
    only = {name for name in args.only.split(",") if name} or None
    if not args.score_only and (only is None or "dcgan_early" in only):
        if (out / "dcgan_run").exists():
            parser.error(
                f"{out / 'dcgan_run'} exists: delete it for a fresh run, or use --score-only"
            )
    with cpu_lock():
        if not args.score_only:
            train_all(out, job_list, only)
        rows = score_all(out, job_list)
    (out / "scores.json").write_text(json.dumps(rows, indent=1, default=float))
    shown = [
        " ".join(command).replace(PYTHON, "python").replace(str(ROOT) + "/", "")
        for job in job_list
        for command in job["commands"]
    ]
    report = table(rows, out, shown, args.minutes)
    (out / "table.md").write_text(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
