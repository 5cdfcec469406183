"""The command line: happy path (train, resume, sample) and bad input (exit code 2)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from gan_course.cli import main


def test_help_runs_as_module_and_names_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "gan_course", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "train" in result.stdout and "sample" in result.stdout and "mnist_5k" in result.stdout


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "dcgan"
    assert (
        main(
            [
                "train",
                "dcgan",
                "--epochs",
                "1",
                "--batch-size",
                "256",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    return out


def test_train_writes_checkpoint_samples_gif_history(trained_run):
    history = json.loads((trained_run / "history.json").read_text())
    assert len(history) == 1 and history[0]["step"] == 4500 // 256
    assert all(np.isfinite(history[0][key]) for key in ("d_loss", "g_loss"))
    assert sorted(p.name for p in (trained_run / "samples").glob("*.png")) == [
        "epoch_0000.png",
        "epoch_0001.png",
    ]
    assert (trained_run / "progress.gif").exists()
    assert any(p.name.endswith(".index") for p in (trained_run / "checkpoints").iterdir())
    assert json.loads((trained_run / "run.json").read_text())["model"] == "dcgan"


def test_same_command_resumes(trained_run, capsys):
    assert (
        main(["train", "dcgan", "--epochs", "2", "--out", str(trained_run), "--no-progress"]) == 0
    )
    assert "Resuming from" in capsys.readouterr().out
    history = json.loads((trained_run / "history.json").read_text())
    assert [entry["epoch"] for entry in history] == [1, 2]
    assert history[1]["step"] == 2 * (4500 // 256)


def test_sample_writes_uint8_images(trained_run, tmp_path):
    out = tmp_path / "samples.npz"
    assert (
        main(["sample", "dcgan", "--from", str(trained_run), "--n", "10", "--out", str(out)]) == 0
    )
    arrays = np.load(out)
    assert list(arrays) == ["x"]
    assert arrays["x"].shape == (10, 28, 28) and arrays["x"].dtype == np.uint8
    assert arrays["x"].std() > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "stylegan9"], "invalid choice"),
        (["train", "dcgan", "--dataset", "imagenet"], "invalid choice"),
        (["train", "dcgan", "--epochs", "0"], "must be positive"),
        (["train", "dcgan", "--epochs", "ten"], "whole number"),
        (["train", "dcgan", "--batch-size", "-4"], "must be positive"),
        (["train", "dcgan", "--latent-dim", "0"], "must be positive"),
        (["train", "dcgan", "--max-minutes", "soon"], "expected a number"),
        (["sample", "--from", "x", "--out", "y.npz", "--label", "12"], "digit 0-9"),
        (["sample", "--from", "x", "--out", "y.npz", "--n", "0"], "must be positive"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1


def test_bad_values_found_after_parsing_exit_2(tmp_path, trained_run, capsys):
    assert (
        main(
            [
                "train",
                "dcgan",
                "--batch-size",
                "5000",
                "--out",
                str(tmp_path / "big"),
                "--no-progress",
            ]
        )
        == 2
    )
    assert "larger than the dataset" in capsys.readouterr().err
    assert (
        main(["sample", "--from", str(tmp_path / "nothing"), "--out", str(tmp_path / "s.npz")]) == 2
    )
    assert "holds no training run" in capsys.readouterr().err
    assert (
        main(
            [
                "sample",
                "dcgan",
                "--from",
                str(trained_run),
                "--out",
                str(tmp_path / "s.npz"),
                "--label",
                "3",
            ]
        )
        == 2
    )
    assert "not conditional" in capsys.readouterr().err
    assert main(["train", "gan", "--out", str(trained_run), "--no-progress"]) == 2
    assert "holds a 'dcgan' run" in capsys.readouterr().err
    assert not (tmp_path / "s.npz").exists()


def test_unwritable_output_folder(tmp_path, capsys):
    # A path below a regular file cannot be created, even by root (where chmod would not stop us).
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["train", "dcgan", "--epochs", "1", "--out", str(blocker / "run")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert blocker.read_text() == "x"


def test_tensorboard_logs_scalars_and_sample_grids(tmp_path):
    import tensorflow as tf

    logs = tmp_path / "tb"
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
                str(tmp_path / "run"),
                "--tensorboard",
                str(logs),
                "--no-progress",
            ]
        )
        == 0
    )
    tags = set()
    for event_file in logs.glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            tags.update(value.tag for value in event.summary.value)
    assert {"d_loss", "g_loss", "d_real", "d_fake", "samples"} <= tags
    # the GAN monitor's measurements reach TensorBoard and the history
    assert {"d_accuracy_real", "d_accuracy_fake", "sample_diversity"} <= tags
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert isinstance(history[0]["flags"], list)


def test_evaluate_prints_json_and_accepts_float_images(trained_run, tmp_path, capsys):
    assert (
        main(["sample", "--from", str(trained_run), "--n", "64", "--out", str(tmp_path / "s.npz")])
        == 0
    )
    uint8_images = np.load(tmp_path / "s.npz")["x"]
    np.savez(tmp_path / "float.npz", x=(uint8_images[..., None] / 127.5 - 1.0).astype("float32"))
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "s.npz")]) == 0
    from_uint8 = json.loads(capsys.readouterr().out)
    assert (
        main(["evaluate", str(tmp_path / "float.npz"), "--json", str(tmp_path / "scores.json")])
        == 0
    )
    from_float = json.loads(capsys.readouterr().out)
    assert from_uint8["n"] == 64 and from_float == pytest.approx(from_uint8, rel=1e-6)
    assert json.loads((tmp_path / "scores.json").read_text()) == from_float


def test_set_overrides_any_config_field(tmp_path):
    out = tmp_path / "gan"
    argv = ["train", "gan", "--epochs", "1", "--out", str(out), "--no-progress"]
    assert main(argv + ["--set", "batch_size=512", "--set", "real_label=0.8"]) == 0
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["batch_size"] == 512 and config["real_label"] == 0.8
    assert json.loads((out / "history.json").read_text())[0]["step"] == 4500 // 512


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("batch_size", "FIELD=VALUE"),
        ("no_such_field=1", "no field 'no_such_field'"),
        ("batch_size=big", "expected int"),
        ("jit_compile=perhaps", "expected true or false"),
    ],
)
def test_bad_set_exits_2_with_a_fix(tmp_path, assignment, message, capsys):
    argv = ["train", "gan", "--out", str(tmp_path / "gan"), "--set", assignment]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error
    assert not (tmp_path / "gan").exists()
