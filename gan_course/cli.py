"""Command line: `gan-course` or `python -m gan_course`.

Exit codes: 0 success, 2 bad input (a one-line message says what to do), 1 anything
else that went wrong (for example a dataset that could not be downloaded).
"""

from __future__ import annotations

import dataclasses
import os
import sys

from gan_course.cli_parser import build_parser
from gan_course.registry import get_recipe


def _train(args) -> None:
    from gan_course.config import parse_assignments
    from gan_course.runs import train_run
    from gan_course.training.settings import RunSettings

    out_dir = args.out or f"runs/{args.model}"
    config_class = get_recipe(args.model).load_config_class()
    values = parse_assignments((config_class, RunSettings), args.set)
    run_fields = {field.name for field in dataclasses.fields(RunSettings)}
    settings_values = {k: v for k, v in values.items() if k in run_fields}
    overrides = {k: v for k, v in values.items() if k not in run_fields}
    named = {  # the named options win over --set
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "max_minutes": args.max_minutes,
        "precision": args.precision,
        "seed": args.seed,
        "checkpoint_every_steps": args.checkpoint_every,
        "strategy": args.strategy,
    }
    settings_values.update({k: v for k, v in named.items() if v is not None})
    if args.latent_dim is not None:
        overrides["latent_dim"] = args.latent_dim
    history = train_run(
        args.model,
        out_dir=out_dir,
        dataset=args.dataset,
        settings=RunSettings(**settings_values),
        overrides=overrides,
        deterministic=args.deterministic,
        tensorboard=args.tensorboard,
        progress=not args.no_progress,
        image_size=args.image_size,
        channels=args.channels,
    )
    print(
        f"Done: {len(history)} epochs in {out_dir} (samples/, progress.gif, checkpoints/, history.json)."
    )


def _sample(args) -> None:
    from gan_course.resume import read_record
    from gan_course.sampling import sample_run

    held = read_record(args.from_dir)["model"]
    if args.model is not None and held != args.model:
        raise ValueError(f"{args.from_dir} holds a {held!r} run, not {args.model!r}")
    arrays = sample_run(
        args.from_dir,
        count=args.n,
        out_file=args.out,
        label=args.label,
        seed=args.seed,
        rejection=args.rejection,
        ddim_steps=args.ddim_steps,
        ancestral=args.ancestral,
    )
    print(f"Wrote {args.out}: " + ", ".join(f"{k} {v.shape} {v.dtype}" for k, v in arrays.items()))


def _evaluate(args) -> None:
    import json

    from gan_course.evaluation.score_file import evaluate_file

    scores = evaluate_file(
        args.file, dataset=args.dataset, image_size=args.image_size, channels=args.channels
    )
    print(json.dumps(scores, indent=1))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(scores, handle, indent=1)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from gan_course.backend import BackendError, check_backend

    try:
        check_backend()
    except BackendError as error:
        print(f"gan-course: error: {error}", file=sys.stderr)
        return 2
    # Quiet TensorFlow's C++ start-up logging for this process only (not on package import).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from gan_course.data import DatasetUnavailableError
    from gan_course.training import NonFiniteLossError

    commands = {"train": _train, "sample": _sample, "evaluate": _evaluate}
    try:
        commands[args.command](args)
    except ValueError as error:
        print(f"gan-course: error: {error}", file=sys.stderr)
        return 2
    except (DatasetUnavailableError, NonFiniteLossError) as error:
        print(f"gan-course: error: {error}", file=sys.stderr)
        return 1
    return 0
