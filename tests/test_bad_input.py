"""Bad input: each case exits 2 (ValueError from the API) with a message that says what to do,
and leaves existing outputs and checkpoints untouched."""

import hashlib
import json
import shutil

import numpy as np
import pytest

from gan_course.cli import main
from gan_course.models.dcgan import build_dcgan_discriminator, build_dcgan_generator


def snapshot(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input")
    run = root / "run"
    small = root / "small"
    assert (
        main(
            [
                "train",
                "dcgan",
                "--epochs",
                "1",
                "--batch-size",
                "512",
                "--out",
                str(run),
                "--no-progress",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "train",
                "dcgan",
                "--epochs",
                "1",
                "--batch-size",
                "512",
                "--latent-dim",
                "8",
                "--out",
                str(small),
                "--no-progress",
            ]
        )
        == 0
    )
    # A folder whose run.json says latent 64 but whose checkpoint holds a latent-8 model.
    mixed = root / "mixed"
    shutil.copytree(small, mixed)
    shutil.copy(run / "run.json", mixed / "run.json")
    # A folder with a run.json but no checkpoint (stopped before its first save).
    empty = root / "empty"
    empty.mkdir()
    shutil.copy(run / "run.json", empty / "run.json")
    samples = {
        "wrong_shape.npz": np.zeros((4, 32, 32), np.uint8),
        "float_out_of_range.npz": np.full((4, 28, 28), 255.0, np.float32),
        "nan.npz": np.full((4, 28, 28), np.nan, np.float32),
        "empty.npz": np.zeros((0, 28, 28), np.uint8),
    }
    for name, array in samples.items():
        np.savez(root / name, x=array)
    np.savez(root / "no_x.npz", images=np.zeros((4, 28, 28), np.uint8))
    cache = root / "cache"
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"half a download")
    (root / "a_file").write_text("not a folder")
    return root


CASES = [
    (["train", "wgan-xl"], "invalid choice"),
    (["train", "dcgan", "--dataset", "celeba"], "invalid choice"),
    (["train", "dcgan", "--epochs", "0"], "must be positive"),
    (["train", "dcgan", "--epochs", "3.5"], "whole number"),
    (["train", "dcgan", "--batch-size", "0"], "must be positive"),
    (["train", "dcgan", "--latent-dim", "-3"], "must be positive"),
    (["train", "dcgan", "--seed", "-1"], "0 or more"),
    (["train", "dcgan", "--max-minutes", "abc"], "expected a number"),
    (["sample", "--from", "{root}/run", "--out", "{root}/s.npz", "--label", "10"], "digit 0-9"),
    (["sample", "--from", "{root}/run", "--out", "{root}/s.npz", "--label", "seven"], "digit 0-9"),
]

LATE_CASES = [
    # 4,504: a multiple of the discriminator's packing degree 4, so only the size is wrong.
    (["train", "dcgan", "--batch-size", "4504", "--out", "{root}/big"], "larger than the dataset"),
    (["train", "gan", "--epochs", "2", "--out", "{root}/run"], "holds a 'dcgan' run"),
    (
        ["train", "dcgan", "--batch-size", "64", "--epochs", "2", "--out", "{root}/run"],
        "batch_size=512",
    ),
    (["train", "dcgan", "--seed", "7", "--epochs", "2", "--out", "{root}/run"], "seed 0"),
    (
        ["train", "dcgan", "--dataset", "mnist", "--epochs", "2", "--out", "{root}/run"],
        "on 'mnist_5k'",
    ),
    (["train", "dcgan", "--epochs", "1", "--out", "{root}/a_file/run"], "cannot write"),
    (["sample", "--from", "{root}/empty", "--out", "{root}/s.npz"], "no checkpoint"),
    (["sample", "--from", "{root}/nowhere", "--out", "{root}/s.npz"], "holds no training run"),
    (["sample", "--from", "{root}/mixed", "--out", "{root}/s.npz"], "does not match this model"),
    (
        ["sample", "--from", "{root}/run", "--out", "{root}/s.npz", "--label", "3"],
        "not conditional",
    ),
    (["sample", "gan", "--from", "{root}/run", "--out", "{root}/s.npz"], "holds a 'dcgan' run"),
    (["evaluate", "{root}/wrong_shape.npz"], "(N, 28, 28)"),
    (["evaluate", "{root}/float_out_of_range.npz"], "must be in [-1, 1] or [0, 1]"),
    (["evaluate", "{root}/nan.npz"], "NaN"),
    (["evaluate", "{root}/empty.npz"], "empty"),
    (["evaluate", "{root}/no_x.npz"], "no array 'x'"),
    (["evaluate", "{root}/missing.npz"], "does not exist"),
]


def fill(argv, root):
    return [part.format(root=root) for part in argv]


@pytest.mark.parametrize("argv, message", CASES)
def test_parse_errors_exit_2(workspace, argv, message, capsys):
    before = snapshot(workspace)
    with pytest.raises(SystemExit) as exit_info:
        main(fill(argv, workspace))
    error = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and message in error and len(error.splitlines()) == 1
    assert snapshot(workspace) == before


@pytest.mark.parametrize("argv, message", LATE_CASES)
def test_value_errors_exit_2_and_touch_nothing(workspace, argv, message, capsys):
    before = snapshot(workspace)
    assert main(fill(argv, workspace)) == 2
    error = capsys.readouterr().err.strip()
    assert message in error, error
    assert snapshot(workspace) == before


def test_corrupt_dataset_cache_says_how_to_redownload(workspace, monkeypatch, capsys):
    monkeypatch.setenv("GAN_COURSE_DATA", str(workspace / "cache"))
    before = snapshot(workspace)
    assert main(["train", "dcgan", "--dataset", "mnist", "--out", str(workspace / "new")]) == 2
    error = capsys.readouterr().err
    assert "corrupt" in error and "Delete it and run again" in error
    assert snapshot(workspace) == before and not (workspace / "new").exists()


@pytest.mark.parametrize("image_shape", [(30, 30, 1), (28, 28, 2), (28, 28)])
def test_builders_reject_wrong_image_shapes(image_shape):
    with pytest.raises(ValueError, match="image_shape"):
        build_dcgan_generator(image_shape=image_shape)
    with pytest.raises(ValueError, match="image_shape"):
        build_dcgan_discriminator(image_shape=image_shape)


def test_history_is_unchanged_by_all_of_it(workspace):
    history = json.loads((workspace / "run" / "history.json").read_text())
    assert [entry["epoch"] for entry in history] == [1]


@pytest.mark.parametrize("decay", [1.0, -0.1, 1.5, True])
def test_every_averaged_family_rejects_a_decay_outside_0_1(decay):
    from gan_course.models.cgan import CGANConfig
    from gan_course.models.dcgan import DCGANConfig
    from gan_course.models.stylegan import StyleGANConfig
    from gan_course.models.wgan import WGANConfig, WGANGPConfig

    for config_class in (DCGANConfig, CGANConfig, StyleGANConfig, WGANConfig, WGANGPConfig):
        with pytest.raises(ValueError, match=rf"{config_class.__name__}\.weight_average_decay"):
            config_class(weight_average_decay=decay)
        assert config_class(weight_average_decay=0.0).weight_average_decay == 0.0  # 0: off
