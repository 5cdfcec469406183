"""The command line's arguments: `build_parser` and the argument types (gan_course.cli runs it)."""

from __future__ import annotations

import argparse

from gan_course.registry import RECIPES

# Kept here, not imported from gan_course.training, so `--help` needs no TensorFlow.
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored", "multiworker")

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
    _add_train(commands)
    _add_sample(commands)
    _add_evaluate(commands)
    return parser


def _add_train(commands) -> None:
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
    _add_run_options(train)


def _add_run_options(train) -> None:
    """Options beyond the model and its data: run settings, output folder, logging."""
    train.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="float32 (default), mixed_float16, mixed_bfloat16 or auto",
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
    train.add_argument(
        "--seed",
        type=_non_negative_int,
        help="random seed (default: 0; a resumed run keeps its own)",
    )
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
        choices=STRATEGIES,
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
        help="set a field of the model's config or of the run settings, e.g. --set real_label=1.0 or --set max_minutes=1 (repeatable)",
    )
    train.add_argument(
        "--no-progress",
        action="store_true",
        help="hide the progress bar (one line per epoch remains)",
    )


def _add_sample(commands) -> None:
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
    sample.add_argument("--label", type=_digit, help="class to draw (conditional models only)")
    sample.add_argument("--seed", type=_non_negative_int, default=0, help="noise seed (default: 0)")
    sample.add_argument(
        "--rejection",
        action="store_true",
        help="discriminator rejection sampling (toy-* models): keep candidates by a fitted density ratio",
    )


def _add_evaluate(commands) -> None:
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
