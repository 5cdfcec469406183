"""DDPM: the noise schedule, the U-Net, the loss, the samplers and the command line."""

import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import losses
from gan_course.cli import main
from gan_course.models.ddpm import DDPMConfig, build_ddpm_setup
from gan_course.models.ddpm_sampling import DDPMSampler, ddim_timesteps
from gan_course.models.ddpm_schedule import (
    forward_step,
    make_betas,
    noise_schedule,
    q_sample,
)
from gan_course.models.ddpm_unet import build_ddpm_unet
from gan_course.training.settings import RunSettings

TINY = DDPMConfig(timesteps=20, widths=(8, 16), sampling_steps=4)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("timesteps", [1000, 50])
def test_alpha_bar_decreases_strictly_inside_zero_one(schedule, timesteps):
    alpha_bars = noise_schedule(schedule, timesteps).alpha_bars
    assert alpha_bars.shape == (timesteps,)
    assert np.all(np.diff(alpha_bars) < 0)
    assert np.all((alpha_bars > 0) & (alpha_bars < 1))
    assert alpha_bars[-1] < 0.01  # the last step leaves (almost) pure noise


def test_linear_betas_are_ho_et_al_and_unknown_names_raise():
    betas = make_betas("linear", 1000)
    assert betas[0] == pytest.approx(1e-4) and betas[-1] == pytest.approx(0.02)
    with pytest.raises(ValueError, match="unknown schedule 'quadratic'"):
        make_betas("quadratic", 1000)
    with pytest.raises(ValueError, match="unknown schedule"):
        DDPMConfig(schedule="quadratic")


@pytest.mark.parametrize("schedule, step", [("linear", 6), ("cosine", 8)])
def test_closed_form_matches_the_iterated_forward_chain(schedule, step):
    schedule = noise_schedule(schedule, 50)
    count = 40_000
    clean = tf.constant(np.broadcast_to([-1.0, -0.3, 0.4, 1.0], (count, 4)), tf.float32)
    t = tf.fill([count], step)
    generator = tf.random.Generator.from_seed(0)
    one_draw = q_sample(schedule, clean, t, generator.normal(clean.shape)).numpy()
    chain = clean
    for index in range(step + 1):  # x_0 -> x_1 -> ... -> x at index `step`
        chain = forward_step(
            schedule, chain, tf.fill([count], index), generator.normal(clean.shape)
        )
    chain = chain.numpy()
    alpha_bar = schedule.alpha_bars[step]
    mean, variance = np.sqrt(alpha_bar) * clean.numpy()[0], 1.0 - alpha_bar
    # Five standard errors of a mean and of a variance estimated from `count` samples.
    mean_tolerance = 5 * np.sqrt(variance / count)
    variance_tolerance = 5 * variance * np.sqrt(2.0 / (count - 1))
    for samples in (one_draw, chain):
        np.testing.assert_allclose(samples.mean(axis=0), mean, atol=mean_tolerance)
        np.testing.assert_allclose(samples.var(axis=0), variance, atol=variance_tolerance)
    # The neighbouring step's variance is far outside the tolerance: the test sees an off-by-one.
    assert abs((1.0 - schedule.alpha_bars[step - 1]) - variance) > 3 * variance_tolerance


@pytest.mark.parametrize(
    "image_shape, widths",
    [
        ((28, 28, 1), (8, 16)),
        ((28, 28, 1), (8, 16, 16)),
        ((32, 32, 3), (8, 16, 16)),
        ((64, 64, 3), (8, 16, 16)),
    ],
)
def test_unet_output_has_the_input_shape(image_shape, widths):
    model = build_ddpm_unet(image_shape=image_shape, widths=widths, blocks_per_level=2)
    images = np.random.default_rng(0).standard_normal((3, *image_shape)).astype("float32")
    output = model([images, np.array([0, 7, 999], np.int32)])
    assert output.shape == (3, *image_shape) and output.dtype == tf.float32


def test_unet_refuses_a_size_its_levels_cannot_halve():
    with pytest.raises(ValueError, match="multiples of 8"):
        build_ddpm_unet(image_shape=(28, 28, 1), widths=(8, 8, 8, 8))


def test_loss_is_a_scalar_mean_squared_error():
    assert float(losses.noise_prediction_loss([[1.0, -2.0]], [[0.0, 0.0]])) == pytest.approx(2.5)
    noise = tf.random.Generator.from_seed(1).normal((64, 28, 28, 1))
    loss = losses.noise_prediction_loss(noise, tf.zeros_like(noise))
    assert loss.shape == () and loss.dtype == tf.float32
    # E[eps^2] = 1; the standard error of the mean of 50,176 squares is sqrt(2 / 50,176).
    assert float(loss) == pytest.approx(1.0, abs=5 * np.sqrt(2.0 / noise.shape.num_elements()))


@pytest.fixture(scope="module")
def tiny_setup():
    return build_ddpm_setup(TINY, image_shape=(28, 28, 1), settings=RunSettings(batch_size=32))


def test_the_untrained_network_predicts_zeros_and_a_step_trains(tiny_setup):
    from gan_course.data import load_dataset, scale_images

    images = scale_images(load_dataset("mnist_5k")[0][:32])
    model = tiny_setup.models["denoiser"]
    before = [v.numpy().copy() for v in model.trainable_variables]
    outputs = tiny_setup.train_step(images)  # zero-initialised head: eps_theta = 0 at first
    assert float(outputs["loss"]) == pytest.approx(1.0, abs=0.05)
    assert np.isfinite(float(outputs["grad_norm"])) and float(outputs["grad_norm"]) > 0
    changed = [not np.array_equal(b, v.numpy()) for b, v in zip(before, model.trainable_variables)]
    assert any(changed)
    assert int(tiny_setup.extra_state["denoiser_average_updates"].numpy()) == 1


def test_samplers_are_deterministic_under_a_seed(tiny_setup):
    draw = tiny_setup.iterative.draw
    noise = np.random.default_rng(0).standard_normal((6, 784)).astype("float32")
    other = np.random.default_rng(1).standard_normal((6, 784)).astype("float32")
    first = np.asarray(draw(noise, ddim_steps=4))
    assert first.shape == (6, 28, 28, 1) and np.abs(first).max() <= 1.0
    np.testing.assert_array_equal(first, np.asarray(draw(noise, ddim_steps=4)))
    np.testing.assert_array_equal(first, np.asarray(tiny_setup.sample(noise)))  # the default
    assert not np.allclose(first, np.asarray(draw(other, ddim_steps=4)))
    ancestral = np.asarray(draw(noise, ddim_steps=None, seed=3))
    np.testing.assert_array_equal(ancestral, np.asarray(draw(noise, ddim_steps=None, seed=3)))
    assert not np.allclose(ancestral, np.asarray(draw(noise, ddim_steps=None, seed=4)))
    assert not np.allclose(ancestral, np.asarray(draw(noise, ddim_steps=None, seed=(3, 6))))


def oracle_sampler(schedule_name: str, timesteps: int, clean):
    """A sampler whose noise predictor is exact for the one image `clean` (1, H, W, C)."""
    schedule = noise_schedule(schedule_name, timesteps)
    alpha_bars = tf.constant(schedule.alpha_bars, tf.float32)

    def predict_noise(noisy, t):
        alpha_bar = tf.gather(alpha_bars, t)[:, None, None, None]
        return (noisy - tf.sqrt(alpha_bar) * clean) / tf.sqrt(1.0 - alpha_bar)

    return DDPMSampler(predict_noise, schedule, image_shape=clean.shape[1:])


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_ddim_and_ancestral_sampling_with_an_exact_predictor_recover_the_image(schedule):
    from gan_course.data import load_dataset, scale_images

    clean = scale_images(load_dataset("mnist_5k")[0][:1])  # (1, 28, 28, 1) in [-1, 1]
    sampler = oracle_sampler(schedule, 1000, clean)
    noise = np.random.default_rng(0).standard_normal((2, 784)).astype("float32")
    assert np.abs(noise.reshape(2, 28, 28, 1) - clean.numpy()).mean() > 0.5  # far from x_0
    targets = np.broadcast_to(clean.numpy(), (2, 28, 28, 1))
    np.testing.assert_allclose(sampler.ddim(noise, 1000), targets, atol=1e-4)
    np.testing.assert_allclose(sampler.ddim(noise, 10), targets, atol=1e-4)
    np.testing.assert_allclose(sampler.ancestral(noise, seed=0), targets, atol=1e-4)


def test_ddim_visits_evenly_spaced_timesteps_from_the_noisiest():
    np.testing.assert_array_equal(ddim_timesteps(10, 4), [9, 6, 3, 0])
    np.testing.assert_array_equal(ddim_timesteps(5, 5), [4, 3, 2, 1, 0])
    assert list(ddim_timesteps(1000, 1)) == [999]
    with pytest.raises(ValueError, match="1 to the model's 10 timesteps"):
        ddim_timesteps(10, 11)


TINY_CLI = [
    "train",
    "ddpm",
    "--batch-size",
    "128",
    "--set",
    "widths=8,16",
    "--set",
    "timesteps=50",
    "--set",
    "sampling_steps=5",
    "--no-progress",
]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddpm") / "run"
    assert main([*TINY_CLI, "--epochs", "1", "--out", str(out)]) == 0
    return out


def test_cli_trains_resumes_and_checkpoints(cli_run, capsys):
    history = json.loads((cli_run / "history.json").read_text())
    assert len(history) == 1 and history[0]["step"] == 4500 // 128
    assert np.isfinite(history[0]["loss"]) and history[0]["loss"] < 1.0
    assert sorted(p.name for p in (cli_run / "samples").glob("*.png")) == [
        "epoch_0000.png",
        "epoch_0001.png",
    ]
    capsys.readouterr()
    assert main([*TINY_CLI, "--epochs", "2", "--out", str(cli_run)]) == 0
    assert "Resuming from" in capsys.readouterr().out
    history = json.loads((cli_run / "history.json").read_text())
    assert [entry["epoch"] for entry in history] == [1, 2]
    assert history[1]["step"] == 2 * (4500 // 128)


def _sample(run, tmp_path, *options):
    out = tmp_path / f"s{len(list(tmp_path.iterdir()))}.npz"
    assert (
        main(["sample", "ddpm", "--from", str(run), "--n", "6", "--out", str(out), *options]) == 0
    )
    return np.load(out)["x"]


def test_cli_samples_with_ddim_or_ancestral_deterministically(cli_run, tmp_path):
    default = _sample(cli_run, tmp_path)
    assert default.shape == (6, 28, 28) and default.dtype == np.uint8 and default.std() > 0
    np.testing.assert_array_equal(default, _sample(cli_run, tmp_path))
    np.testing.assert_array_equal(default, _sample(cli_run, tmp_path, "--ddim-steps", "5"))
    assert not np.array_equal(default, _sample(cli_run, tmp_path, "--ddim-steps", "2"))
    assert not np.array_equal(default, _sample(cli_run, tmp_path, "--seed", "1"))
    ancestral = _sample(cli_run, tmp_path, "--ancestral", "--seed", "2")
    np.testing.assert_array_equal(
        ancestral, _sample(cli_run, tmp_path, "--ancestral", "--seed", "2")
    )
    assert not np.array_equal(ancestral, _sample(cli_run, tmp_path, "--ancestral", "--seed", "3"))


@pytest.mark.parametrize(
    "options, message",
    [
        (["--ddim-steps", "51"], "--ddim-steps must be 1 to the run's 50 timesteps"),
        (["--ddim-steps", "5", "--ancestral"], "not both"),
    ],
)
def test_cli_refuses_impossible_sampling_options(cli_run, tmp_path, options, message, capsys):
    out = tmp_path / "s.npz"
    assert main(["sample", "--from", str(cli_run), "--out", str(out), *options]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not out.exists()


def test_only_iterative_samplers_take_sampling_steps():
    from types import SimpleNamespace

    from gan_course.sampling import _sampler

    with pytest.raises(ValueError, match="work with diffusion models .* not 'dcgan'"):
        _sampler("dcgan", SimpleNamespace(iterative=None), 10, False, 0)
