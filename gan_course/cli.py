"""Command line: `gan-course` or `python -m gan_course`.

Exit codes: 0 success, 2 bad input (a one-line message says what to do), 1 anything
else that went wrong (for example a dataset that could not be downloaded).
"""

from __future__ import annotations

import argparse
import os
import sys

from gan_course.registry import RECIPES

DATASETS = ("mnist_5k", "mnist", "fashion_mnist", "cifar10", "auto", "ring8", "grid25")

EPILOG = """examples:
  gan-course train dcgan --max-minutes 8 --out runs/dcgan      # train; same command again resumes
  gan-course sample --from runs/dcgan --n 100 --out samples.npz
datasets: mnist_5k (embedded, offline; the default), mnist, fashion_mnist, cifar10 (downloaded
and cached in data/), auto (mnist, or mnist_5k with a notice when offline); ring8, grid25
(2-D mixtures of Gaussians for the toy-* models: `sample` then writes float32 points x (N, 2))."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2, instead of argparse's usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _digit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a digit 0-9, got {text!r}") from None
    if not 0 <= value <= 9:
        raise argparse.ArgumentTypeError(f"must be a digit 0-9, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gan-course",
        description="Train and sample the GAN course's models from the command line.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND"
    )
    models = ", ".join(f"{name} ({recipe.summary})" for name, recipe in sorted(RECIPES.items()))

    train = commands.add_parser(
        "train",
        help="train a model; rerun the same command to resume",
        description=f"Train MODEL. Models: {models}.",
    )
    train.add_argument(
        "model",
        metavar="MODEL",
        choices=sorted(RECIPES),
        help="one of: " + ", ".join(sorted(RECIPES)),
    )
    train.add_argument(
        "--dataset",
        default="mnist_5k",
        choices=DATASETS,
        metavar="NAME",
        help="training data (default: mnist_5k, embedded, works offline)",
    )
    train.add_argument(
        "--epochs", type=_positive_int, help="number of epochs (default: the model's own)"
    )
    train.add_argument(
        "--max-minutes",
        type=_positive_float,
        help="stop after this many minutes, saving a checkpoint",
    )
    train.add_argument(
        "--batch-size", type=_positive_int, help="images per step (default: the model's own)"
    )
    train.add_argument(
        "--latent-dim", type=_positive_int, help="size of the noise or latent vector"
    )
    train.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="run folder (default: runs/MODEL); holds checkpoints/, samples/, progress.gif, history.json",
    )
    train.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    train.add_argument(
        "--deterministic",
        action="store_true",
        help="bit-identical reruns (slower): turns on TensorFlow op determinism",
    )
    train.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="also log scalars and sample grids for TensorBoard to DIR",
    )
    train.add_argument(
        "--strategy",
        default="default",
        choices=("default", "mirrored", "multiworker"),
        help="default: one device; mirrored: all local GPUs; multiworker: the machines in TF_CONFIG",
    )
    train.add_argument(
        "--checkpoint-every",
        type=_positive_int,
        metavar="STEPS",
        help="also save a checkpoint every STEPS steps (default: after each epoch only)",
    )
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="set any field of the model's config, e.g. --set ema_decay=0.999 (repeatable)",
    )
    train.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the progress bar (one line per epoch remains)",
    )

    sample = commands.add_parser(
        "sample",
        help="draw samples from a trained run into an .npz file",
        description="Write N samples as uint8 array x (N, H, W) (and labels y for conditional models); toy-* models write float32 points x (N, 2).",
    )
    sample.add_argument(
        "model",
        metavar="MODEL",
        nargs="?",
        help="optional: checked against the model the run folder holds",
    )
    sample.add_argument(
        "--from",
        dest="from_dir",
        required=True,
        metavar="DIR",
        help="run folder written by `train`",
    )
    sample.add_argument(
        "--n", type=_positive_int, default=64, help="number of samples (default: 64)"
    )
    sample.add_argument("--out", required=True, metavar="FILE.npz", help="output file")
    sample.add_argument("--label", type=_digit, help="digit to draw (conditional models only)")
    sample.add_argument("--seed", type=_non_negative_int, default=0, help="noise seed (default: 0)")

    evaluate = commands.add_parser(
        "evaluate",
        help="score samples (an .npz from `sample`) with FID, KID, precision/recall and more; prints JSON",
        description="Score uint8 samples x (N, 28, 28) against real digits with the course's digit classifier.",
    )
    evaluate.add_argument("file", metavar="FILE.npz", help="samples written by `gan-course sample`")
    evaluate.add_argument(
        "--dataset",
        default="mnist_5k",
        choices=("mnist_5k", "mnist"),
        metavar="NAME",
        help="real reference digits (default: mnist_5k)",
    )
    evaluate.add_argument("--json", metavar="OUT.json", help="also write the scores to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Quiet TensorFlow's C++ start-up logging for this process only (not on package import).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from gan_course.data import DatasetUnavailableError
    from gan_course.training import NonFiniteLossError

    try:
        if args.command == "train":
            from gan_course.config import parse_assignments
            from gan_course.registry import get_recipe
            from gan_course.runs import train_run

            out_dir = args.out or f"runs/{args.model}"
            overrides = parse_assignments(get_recipe(args.model).load_config_class(), args.set)
            for name in ("epochs", "batch_size", "latent_dim"):  # the named options win
                if getattr(args, name) is not None:
                    overrides[name] = getattr(args, name)
            history = train_run(
                args.model,
                out_dir=out_dir,
                dataset=args.dataset,
                max_minutes=args.max_minutes,
                seed=args.seed,
                deterministic=args.deterministic,
                tensorboard=args.tensorboard,
                checkpoint_every_steps=args.checkpoint_every,
                strategy=args.strategy,
                progress=not args.no_progress,
                **overrides,
            )
            print(
                f"Done: {len(history)} epochs in {out_dir} (samples/, progress.gif, checkpoints/, history.json)."
            )
        elif args.command == "sample":
            from gan_course.runs import read_run, sample_run

            if args.model is not None and read_run(args.from_dir)["model"] != args.model:
                raise ValueError(
                    f"{args.from_dir} holds a {read_run(args.from_dir)['model']!r} run, not {args.model!r}"
                )
            arrays = sample_run(
                args.from_dir, count=args.n, out_file=args.out, label=args.label, seed=args.seed
            )
            print(
                f"Wrote {args.out}: "
                + ", ".join(f"{k} {v.shape} {v.dtype}" for k, v in arrays.items())
            )
        elif args.command == "evaluate":
            import json

            from gan_course.runs import evaluate_file

            scores = evaluate_file(args.file, dataset=args.dataset)
            print(json.dumps(scores, indent=1))
            if args.json:
                with open(args.json, "w") as handle:
                    json.dump(scores, handle, indent=1)
    except ValueError as error:
        print(f"gan-course: error: {error}", file=sys.stderr)
        return 2
    except (DatasetUnavailableError, NonFiniteLossError) as error:
        print(f"gan-course: error: {error}", file=sys.stderr)
        return 1
    return 0
