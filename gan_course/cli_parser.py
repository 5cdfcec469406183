"""The command line's arguments: `build_parser` and the argument types (gan_course.cli runs it)."""

from __future__ import annotations

import argparse

from gan_course.registry import RECIPES

# Kept here, not imported from gan_course.training, so `--help` needs no TensorFlow.
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored", "multiworker")

DATASETS = ("mnist_5k", "mnist", "fashion_mnist", "cifar10", "auto", "ring8", "grid25")
EVALUATE_DATASETS = ("mnist_5k", "mnist", "fashion_mnist", "cifar10")
FOLDER_PREFIX = "folder:"  # gan_course.data.FOLDER_PREFIX, kept here so `--help` needs no NumPy

EPILOG = """examples:
  gan-course train dcgan --max-minutes 8 --out runs/dcgan      # train; same command again resumes
  gan-course sample --from runs/dcgan --n 100 --out samples.npz
  gan-course train dcgan --dataset folder:~/my_images --image-size 64 --channels 3 --out runs/mine
datasets: mnist_5k (embedded, offline; the default), mnist, fashion_mnist, cifar10 (downloaded
and cached in data/), auto (mnist, or mnist_5k with a notice when offline); folder:PATH (your
own PNG/JPEG images; sub-folders are classes; 10% held out per class; --image-size N resizes,
--channels 1|3 converts); ring8, grid25 (2-D mixtures of Gaussians for the toy-* models:
`sample` then writes float32 points x (N, 2))."""


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


def _dataset_type(names: tuple[str, ...]):
    """An argument type: one of `names`, or folder:PATH."""

    def dataset(text: str) -> str:
        if text in names or (text.startswith(FOLDER_PREFIX) and text[len(FOLDER_PREFIX) :]):
            return text
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from {', '.join(names)}, or folder:PATH)"
        )

    return dataset


def _channels(text: str) -> int:
    if text not in ("1", "3"):
        raise argparse.ArgumentTypeError(f"must be 1 (grey) or 3 (colour), got {text!r}")
    return int(text)


def _add_image_options(parser, size_default: str, channels_default: str) -> None:
    parser.add_argument(
        "--image-size",
        type=_positive_int,
        metavar="N",
        help=f"resize every image to N x N (centre square, antialiased; default: {size_default})",
    )
    parser.add_argument(
        "--channels",
        type=_channels,
        metavar="1|3",
        help=f"convert the images to 1 (grey) or 3 (colour) channels (default: {channels_default})",
    )


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
        type=_dataset_type(DATASETS),
        metavar="NAME",
        help="training data: a name or folder:PATH (default: mnist_5k, embedded, works offline)",
    )
    _add_image_options(
        train,
        "as they are; a folder's images must then share one size",
        "as they are; a folder is grey if every file is",
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
        description="Write N samples as uint8 array x (N, 28, 28) for runs on the digits, (N, H, W, C) at the trained shape otherwise (your folders, colour sets), and labels y for conditional models; toy-* models write float32 points x (N, 2).",
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
    sample.add_argument(
        "--ddim-steps",
        type=_positive_int,
        metavar="N",
        help="diffusion models (ddpm): DDIM steps, 1 to the run's timesteps (default: the run's sampling_steps, 25)",
    )
    sample.add_argument(
        "--ancestral",
        action="store_true",
        help="diffusion models (ddpm): ancestral sampling over all timesteps (slower; --seed fixes its noise)",
    )


def _add_evaluate(commands) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="score samples (an .npz from `sample`) with FID, KID, precision/recall and more; prints JSON",
        description="Score uint8 samples x (N, 28, 28) against real digits with the course's "
        "digit classifier; or samples x (N, H, W[, C]) against fashion_mnist, cifar10 or your "
        "folder:PATH with memorisation and FID/KID/precision/recall on a feature network "
        "trained on that data (gan_course.evaluation.own_data).",
    )
    evaluate.add_argument("file", metavar="FILE.npz", help="samples written by `gan-course sample`")
    evaluate.add_argument(
        "--dataset",
        default="mnist_5k",
        type=_dataset_type(EVALUATE_DATASETS),
        metavar="NAME",
        help="real reference images: mnist_5k (default), mnist, fashion_mnist, cifar10 or folder:PATH",
    )
    _add_image_options(evaluate, "the samples' own size", "the samples' own channels")
    evaluate.add_argument("--json", metavar="OUT.json", help="also write the scores to this file")
