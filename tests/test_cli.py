"""The command line: happy path (train, resume, sample) and bad input (exit code 2)."""

import json
import os
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


def test_set_overrides_config_fields_and_run_settings(tmp_path):
    out = tmp_path / "gan"
    argv = ["train", "gan", "--epochs", "1", "--out", str(out), "--no-progress"]
    assert main(argv + ["--set", "batch_size=512", "--set", "real_label=0.8"]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["settings"]["batch_size"] == 512 and record["config"]["real_label"] == 0.8
    assert "batch_size" not in record["config"]  # a run setting, not a model hyperparameter
    assert json.loads((out / "history.json").read_text())[0]["step"] == 4500 // 512


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("batch_size", "FIELD=VALUE"),
        ("no_such_field=1", "no option 'no_such_field'"),
        ("batch_size=big", "expected int"),
        ("jit_compile=perhaps", "expected true or false"),
        ("max_minutes=abc", "expected float"),
    ],
)
def test_bad_set_exits_2_with_a_fix(tmp_path, assignment, message, capsys):
    argv = ["train", "gan", "--out", str(tmp_path / "gan"), "--set", assignment]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not (tmp_path / "gan").exists()


# A DCGAN small enough to train an epoch (70 steps of 64) in seconds.
TINY_DCGAN = [
    "train",
    "dcgan",
    "--epochs",
    "1",
    "--batch-size",
    "64",
    "--set",
    "max_minutes=1",
    "--set",
    "latent_dim=8",
    "--set",
    "generator_filters=16,8",
    "--set",
    "discriminator_filters=8,16",
    "--no-progress",
]


def snapshot(folder):
    """{relative path: bytes} of every file under `folder`."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "dcgan"
    assert main([*TINY_DCGAN, "--out", str(out)]) == 0
    return out


def test_set_parses_run_settings_by_their_declared_type(tiny_run):
    record = json.loads((tiny_run / "run.json").read_text())
    # "1" became the float 1.0 (json keeps the type: an int or a string would read back as such)
    assert record["settings"]["max_minutes"] == 1.0
    assert isinstance(record["settings"]["max_minutes"], float)
    assert record["settings"]["batch_size"] == 64 and record["settings"]["epochs"] == 1
    assert record["settings"]["seed"] == 0  # no --seed: a new run gets 0
    assert record["config"]["generator_filters"] == [16, 8] and record["config"]["latent_dim"] == 8
    assert "max_minutes" not in record["config"]
    assert json.loads((tiny_run / "history.json").read_text())[0]["step"] == 4500 // 64


@pytest.mark.parametrize(
    "change, message",
    [
        (["--batch-size", "32"], "batch_size=64; resume it with --batch-size 64"),
        (["--seed", "5"], "seed=0; resume it with --seed 0"),
        (["--set", "latent_dim=16"], "latent_dim=8"),
        (["--set", "generator_filters=32,8"], "generator_filters=(16, 8)"),
    ],
)
def test_resuming_with_a_conflicting_value_exits_2_and_changes_nothing(
    tiny_run, change, message, capsys
):
    before = snapshot(tiny_run)
    capsys.readouterr()
    assert main([*TINY_DCGAN, "--out", str(tiny_run), *change]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1, error
    assert snapshot(tiny_run) == before


def test_resuming_with_the_same_command_continues(tiny_run, capsys):
    capsys.readouterr()
    assert main([*TINY_DCGAN, "--out", str(tiny_run)]) == 0  # epochs reached: nothing to do
    assert "Already trained for 1 epochs" in capsys.readouterr().out
    assert len(json.loads((tiny_run / "history.json").read_text())) == 1
    more_epochs = [*TINY_DCGAN, "--out", str(tiny_run)]
    more_epochs[more_epochs.index("--epochs") + 1] = "2"
    assert main(more_epochs) == 0
    assert "Resuming from" in capsys.readouterr().out
    history = json.loads((tiny_run / "history.json").read_text())
    assert [entry["epoch"] for entry in history] == [1, 2]
    assert history[1]["step"] == 2 * (4500 // 64)
    assert json.loads((tiny_run / "run.json").read_text())["settings"]["epochs"] == 2


def test_another_keras_backend_exits_2_before_anything_is_written(tmp_path):
    environment = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run(
        [sys.executable, "-m", "gan_course", "train", "dcgan", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    error = result.stderr.strip()
    assert "KERAS_BACKEND=tensorflow" in error and len(error.splitlines()) == 1, error
    assert list(tmp_path.iterdir()) == []


def test_importing_a_model_off_the_tensorflow_backend_raises_backend_error():
    # jax is not installed: an import of Keras would fail with ModuleNotFoundError instead,
    # so a BackendError shows that the check runs before Keras is imported.
    probe = (
        "from gan_course.backend import BackendError\n"
        "try:\n"
        "    import gan_course.models.dcgan\n"
        "except BackendError as error:\n"
        "    import sys\n"
        "    print('BackendError', 'keras' in sys.modules, error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("BackendError False "), result.stdout
    assert "'jax'" in result.stdout


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy") / "toy-gan"
    argv = ["train", "toy-gan", "--dataset", "ring8", "--epochs", "1", "--batch-size", "1024"]
    small = ["--set", "generator_units=32,32", "--set", "discriminator_units=32,32"]
    assert main([*argv, *small, "--out", str(out), "--no-progress"]) == 0
    return out


def test_toy_run_history_holds_the_mode_score(toy_run):
    from gan_course.lab2d.scoring import score_generator
    from gan_course.runs import load_run

    history = json.loads((toy_run / "history.json").read_text())
    assert len(history) == 1 and history[0]["step"] == 51_200 // 1024
    assert 0 <= history[0]["modes"] <= 8 and 0.0 <= history[0]["hq_percent"] <= 100.0
    # the score is the protocol's, on the generator the checkpoint holds
    _, setup = load_run(toy_run)
    score = score_generator(setup.models["generator"], "ring8", latent_dim=setup.latent_dim)
    assert history[0]["modes"] == score["modes"]
    assert history[0]["hq_percent"] == pytest.approx(score["hq_percent"], abs=1e-9)


def test_sample_with_rejection_writes_points_and_the_acceptance_rate(toy_run, tmp_path):
    out = tmp_path / "f.npz"
    argv = ["sample", "--from", str(toy_run), "--n", "200", "--rejection", "--out", str(out)]
    assert main(argv) == 0
    arrays = np.load(out)
    assert arrays["x"].shape == (200, 2) and arrays["x"].dtype == np.float32
    assert np.isfinite(arrays["x"]).all() and arrays["x"].std(axis=0).min() > 0
    assert 0.0 < float(arrays["acceptance"]) <= 1.0


def test_rejection_needs_a_toy_run(trained_run, tmp_path, capsys):
    out = tmp_path / "s.npz"
    assert main(["sample", "--from", str(trained_run), "--rejection", "--out", str(out)]) == 2
    assert "--rejection works with the 2-D lab" in capsys.readouterr().err
    assert not out.exists()
