"""2-D mode-collapse lab: data exactly as PacGAN/VEEGAN, the scoring protocol, packing, steps, CLI."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from gan_course import cli, data, lab2d
from gan_course.models import rejection
from gan_course.models.wgan import sample_interpolation_weights
from gan_course.runs import load_run, train_run
from gan_course.training.settings import RunSettings

TINY = {"generator_units": (16,), "discriminator_units": (16,)}
TINY_RUN = RunSettings(batch_size=64, epochs=1, seed=0)


def test_ring8_centres_are_eight_distinct_angles_on_the_unit_circle():
    centres = lab2d.mode_centres("ring8")
    assert centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1.0)
    angles = np.mod(np.arctan2(centres[:, 1], centres[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(np.sort(angles), 2 * np.pi * np.arange(8) / 8, atol=1e-12)
    assert len(np.unique(np.round(centres, 9), axis=0)) == 8  # no duplicated endpoint
    assert lab2d.mode_sigma("ring8") == 0.01


def test_grid25_centres_and_sigma():
    centres = lab2d.mode_centres("grid25")
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert centres.shape == (25, 2)
    assert {tuple(point) for point in centres.astype(int)} == expected
    assert np.array_equal(centres, np.round(centres))
    assert lab2d.mode_sigma("grid25") == 0.05


@pytest.mark.parametrize("name", lab2d.TOY_DATASETS)
def test_sample_mixture_spread_matches_sigma(name):
    points = lab2d.sample_mixture(name, 20_000, seed=0)
    assert points.dtype == np.float32 and points.shape == (20_000, 2)
    nearest, _ = lab2d.nearest_modes(points, name)
    offsets = points - lab2d.mode_centres(name)[nearest]
    np.testing.assert_allclose(offsets.std(axis=0), lab2d.mode_sigma(name), rtol=0.05)
    counts = np.bincount(nearest, minlength=len(lab2d.mode_centres(name)))
    assert counts.min() > 0.8 * counts.mean()  # equal weights
    assert np.array_equal(points, lab2d.sample_mixture(name, 20_000, seed=0))


@pytest.mark.parametrize("name", lab2d.TOY_DATASETS)
def test_samples_at_the_centres_cover_all_modes_at_full_quality(name):
    centres = lab2d.mode_centres(name)
    assert lab2d.score_modes(np.repeat(centres, 100, axis=0), name) == {
        "modes": len(centres),
        "hq_percent": 100.0,
    }


def test_collapsed_samples_cover_one_mode():
    samples = np.tile([[2.0, -2.0]], (2500, 1)) + 0.01
    assert lab2d.score_modes(samples, "grid25") == {"modes": 1, "hq_percent": 100.0}


def test_three_sigma_boundary():
    sigma = lab2d.mode_sigma("grid25")
    inside = [[2.9 * sigma, 0.0]]  # nearest mode (0, 0)
    outside = [[0.0, 4.0 * sigma]]
    assert lab2d.score_modes(np.array(inside), "grid25") == {"modes": 1, "hq_percent": 100.0}
    assert lab2d.score_modes(np.array(outside), "grid25") == {"modes": 0, "hq_percent": 0.0}
    # Half the samples 4 sigma off a ring mode: 50% HQ, and only the on-mode one counts.
    ring = lab2d.mode_centres("ring8")
    samples = np.array([ring[0], ring[3] * (1 + 4 * lab2d.mode_sigma("ring8"))])
    assert lab2d.score_modes(samples, "ring8") == {"modes": 1, "hq_percent": 50.0}


def test_unknown_dataset_and_bad_shapes():
    with pytest.raises(ValueError, match="ring8"):
        lab2d.mode_centres("ring9")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        lab2d.score_modes(np.zeros((4, 3)), "grid25")


def test_load_dataset_returns_points_with_nearest_mode_labels():
    points, labels = data.load_dataset("grid25")
    assert points.dtype == np.float32 and points.shape == (lab2d.TRAIN_POINTS, 2)
    assert labels.dtype == np.int32 and set(np.unique(labels)) == set(range(25))
    held_out, _ = data.load_dataset("ring8", split="test")
    assert held_out.shape == (lab2d.TEST_POINTS, 2)
    batch = next(iter(data.make_dataset(points, batch_size=32, shuffle=False)))
    np.testing.assert_array_equal(batch.numpy(), points[:32])  # float points are not rescaled


def test_pack_samples_layer_shapes_and_order():
    layer = lab2d.PackSamples(4)
    points = tf.reshape(tf.range(16, dtype=tf.float32), (8, 2))
    packed = layer(points)
    assert packed.shape == (2, 8)
    np.testing.assert_array_equal(packed[0].numpy(), np.arange(8))  # samples 0..3 side by side
    discriminator = lab2d.build_toy2d_discriminator(hidden_units=(8,), packing=4)
    assert discriminator(tf.zeros((12, 2))).shape == (3, 1)
    with pytest.raises(ValueError, match="multiple of the discriminator's packing"):
        lab2d.build_toy_pacgan_setup(
            lab2d.ToyPacGANConfig(**TINY), settings=RunSettings(batch_size=30)
        )


def test_generator_output_is_unbounded_points():
    generator = lab2d.build_toy2d_generator(latent_dim=3, hidden_units=(8, 8))
    assert generator(tf.zeros((5, 3))).shape == (5, 2)
    generator.layers[-1].bias.assign([7.0, -9.0])  # no tanh squashes the output
    np.testing.assert_allclose(generator(tf.zeros((1, 3))).numpy(), [[7.0, -9.0]], atol=1e-6)


def test_interpolation_weights_broadcast_over_points():
    alpha = sample_interpolation_weights(tf.random.Generator.from_seed(0), 6, rank=2)
    assert alpha.shape == (6, 1)
    assert sample_interpolation_weights(tf.random.Generator.from_seed(0), 6).shape == (6, 1, 1, 1)


@pytest.mark.parametrize(
    "config, build",
    [
        (lab2d.Toy2DConfig(**TINY), lab2d.build_toy_gan_setup),
        (lab2d.ToyPacGANConfig(**TINY), lab2d.build_toy_pacgan_setup),
        (lab2d.ToyWGANGPConfig(**TINY, critic_steps=2), lab2d.build_toy_wgan_gp_setup),
    ],
)
def test_one_step_is_finite_and_changes_both_models(config, build):
    setup = build(config, image_shape=(2,), settings=TINY_RUN)
    assert setup.output == "points" and setup.scale == "none" and setup.monitor is None
    before = {name: [w.numpy() for w in m.trainable_weights] for name, m in setup.models.items()}
    outputs = setup.train_step(tf.constant(lab2d.sample_mixture("grid25", 64, seed=0)))
    assert all(np.isfinite(float(value)) for value in outputs.values())
    for name, model in setup.models.items():
        assert any(
            not np.allclose(a, w.numpy()) for a, w in zip(before[name], model.trainable_weights)
        ), name
    assert np.asarray(setup.sample(setup.fixed_inputs)).shape == (512, 2)


def test_learning_rate_decays_linearly_at_the_end():
    schedule = lab2d.LinearTailDecay(1e-3, start=100, length=50)
    values = [float(schedule(step)) for step in (0, 100, 125, 150, 400)]
    np.testing.assert_allclose(values, [1e-3, 1e-3, 1e-3 * (1 - 0.495), 1e-5, 1e-5], rtol=1e-5)


def test_run_defaults_differ_per_toy_family_and_stay_out_of_the_configs():
    from gan_course.registry import get_recipe

    names = ("toy-gan", "toy-pacgan", "toy-wgan-gp")
    defaults = {name: get_recipe(name).run_defaults() for name in names}
    assert {name: d.epochs for name, d in defaults.items()} == {
        "toy-gan": 20,
        "toy-pacgan": 30,
        "toy-wgan-gp": 14,
    }
    assert {d.batch_size for d in defaults.values()} == {256}
    assert [d.jit_compile for d in defaults.values()] == [False, False, True]
    for config_class in (lab2d.Toy2DConfig, lab2d.ToyPacGANConfig, lab2d.ToyWGANGPConfig):
        fields = {field.name for field in dataclasses.fields(config_class)}
        assert not fields & {"epochs", "batch_size", "max_minutes", "jit_compile"}


@pytest.mark.parametrize(
    "config, build, updates",
    [
        (lab2d.ToyWGANGPConfig(**TINY, decay_epochs=2), lab2d.build_toy_wgan_gp_setup, 5),
        (
            lab2d.Toy2DConfig(**TINY, decay_epochs=2, discriminator_steps=2),
            lab2d.build_toy_gan_setup,
            2,
        ),
    ],
)
@pytest.mark.parametrize("batch_size", [64, 128])
def test_discriminator_rate_decays_over_the_same_epochs_as_the_generator(
    config, build, updates, batch_size
):
    # The critic makes `updates` optimizer steps per train step: its schedule must count them,
    # or its rate reaches 1% while the generator still runs at full rate. The steps per
    # epoch follow the run's batch size.
    settings = RunSettings(batch_size=batch_size, epochs=4, seed=0)
    setup = build(config, image_shape=(2,), settings=settings)
    generator, critic = setup.optimizers["generator"], setup.optimizers["discriminator"]
    steps_per_epoch = lab2d.TRAIN_POINTS // batch_size
    rates = []
    for epochs_done in (0, 2, 3, 4):  # before, at the start, halfway through and after the decay
        generator.iterations.assign(epochs_done * steps_per_epoch)
        critic.iterations.assign(epochs_done * steps_per_epoch * updates)
        rates.append(float(generator.learning_rate))
        assert float(critic.learning_rate) == pytest.approx(rates[-1], rel=1e-5)
    lr = config.learning_rate
    np.testing.assert_allclose(rates, [lr, lr, lr * (1 - 0.495), lr * 0.01], rtol=1e-5)


@pytest.fixture(scope="module")
def pacgan_run(tmp_path_factory):
    """One epoch of toy-pacgan on grid25, through the command line (trained once)."""
    run = tmp_path_factory.mktemp("toy") / "run"
    code = cli.main(
        ["train", "toy-pacgan", "--dataset", "grid25", "--epochs", "1", "--batch-size", "1024"]
        + ["--out", str(run), "--no-progress"]
    )
    assert code == 0
    return run


def test_cli_train_then_sample_grid25(pacgan_run, tmp_path):
    run = pacgan_run
    assert (run / "samples" / "epoch_0001.png").exists() and (run / "progress.gif").exists()
    history = json.loads((run / "history.json").read_text())
    assert history[0]["step"] == lab2d.TRAIN_POINTS // 1024
    assert {"modes", "hq_percent"} <= set(history[0])  # the run driver scores points runs
    out = tmp_path / "points.npz"
    assert cli.main(["sample", "--from", str(run), "--n", "300", "--out", str(out)]) == 0
    with np.load(out) as arrays:
        assert arrays["x"].dtype == np.float32 and arrays["x"].shape == (300, 2)
        assert arrays["x"].std() > 0


def test_train_run_scores_every_epoch_and_load_run_restores_the_generator(tmp_path):
    run = tmp_path / "run"
    history = train_run(
        "toy-gan",
        out_dir=run,
        dataset="ring8",
        settings=RunSettings(epochs=2, batch_size=2048, seed=3),
        overrides={**TINY, "decay_epochs": 1},
        progress=False,
    )
    assert [entry["epoch"] for entry in history] == [1, 2]
    assert all(0 <= entry["modes"] <= 8 and 0 <= entry["hq_percent"] <= 100 for entry in history)
    record, setup = load_run(run)
    assert record["dataset"] == "ring8" and setup.settings.seed == 3
    assert setup.models["generator"].layers[1].units == 16  # the overrides were applied
    score = lab2d.score_generator(setup.models["generator"], "ring8", latent_dim=setup.latent_dim)
    # The restored generator is the trained one: it scores what the last epoch recorded.
    assert score == {"modes": history[-1]["modes"], "hq_percent": history[-1]["hq_percent"]}


def test_point_runs_draw_every_frame_on_one_square_with_the_mode_centres(
    tmp_path, monkeypatch, capsys
):
    from gan_course import viz

    frames = []
    draw = viz.save_scatter

    def recording_save_scatter(path, points, **options):
        frames.append(options)
        return draw(path, points, **options)

    monkeypatch.setattr(viz, "save_scatter", recording_save_scatter)
    train_run(
        "toy-gan",
        out_dir=tmp_path / "run",
        dataset="grid25",
        settings=RunSettings(epochs=2, batch_size=2048, seed=0),
        overrides={**TINY, "decay_epochs": 0},
        progress=False,
        verbose=False,
    )
    assert "epoch" not in capsys.readouterr().out  # verbose=False: no line per epoch
    assert len(frames) == 3  # the untrained generator, then each epoch
    limits = {options["limit"] for options in frames}
    extent = np.abs(lab2d.load_toy_dataset("grid25")[0]).max()
    assert len(limits) == 1 and extent < limits.pop() < 1.2 * extent  # fixed, not per frame
    for options in frames:
        np.testing.assert_array_equal(options["reference"], lab2d.mode_centres("grid25"))


def sign_discriminator(points, training=False):
    """Logit +10 for points with x > 0, -10 otherwise: 'data lives on the right half'."""
    return 10.0 * np.sign(np.asarray(points)[:, :1])


def identity_generator(noise, training=False):
    return np.asarray(noise)[:, :2]


def test_rejection_scores_match_the_paper_formula():
    logits = np.array([0.0, -1.0, -5.0])
    expected = logits - 0.0 - np.log(1.0 - np.exp(logits - 1e-6))  # D_M = 0, gamma = 0
    np.testing.assert_allclose(rejection.rejection_scores(logits, 0.0), expected)
    np.testing.assert_allclose(rejection.rejection_scores(logits, 0.0, gamma=2.0), expected - 2.0)
    # far below the maximum, sigmoid(F) is exp(D - D_M): exact rejection sampling
    far = rejection.rejection_scores(np.array([-12.0]), 0.0)
    np.testing.assert_allclose(1.0 / (1.0 + np.exp(-far)), np.exp(-12.0), rtol=1e-3)


def test_rejection_sample_keeps_only_points_the_discriminator_calls_real():
    samples, acceptance = rejection.rejection_sample(
        identity_generator, sign_discriminator, 300, latent_dim=2, gamma=0.0, batch_size=1000
    )
    assert samples.shape == (300, 2)
    assert (samples[:, 0] > 0).all()  # every kept point has logit 10 = D_M
    assert 0.4 < acceptance < 0.6  # half of N(0, I) lies at x > 0


def test_rejection_sample_raises_when_nothing_is_accepted():
    with pytest.raises(RuntimeError, match="lower gamma"):
        rejection.rejection_sample(
            identity_generator,
            sign_discriminator,
            10,
            latent_dim=2,
            gamma=100.0,
            batch_size=100,
            max_candidates=300,
        )


def test_fit_density_ratio_changes_only_the_discriminator_and_learns_the_data_side():
    generator = lab2d.build_toy2d_generator(latent_dim=2, hidden_units=(8,))
    discriminator = lab2d.build_toy2d_discriminator(hidden_units=(16,))
    generator_before = [w.numpy() for w in generator.weights]
    real = np.full((256, 2), 20.0, np.float32)  # far from every generated point
    losses = rejection.fit_density_ratio(
        discriminator, generator, real, latent_dim=2, steps=60, batch_size=64, learning_rate=1e-2
    )
    assert len(losses) == 60 and losses[-1] < 0.5 * losses[0]
    for before, after in zip(generator_before, generator.weights):
        np.testing.assert_array_equal(before, after.numpy())
    assert float(discriminator(real[:1])[0, 0]) > 0 > float(discriminator(np.zeros((1, 2)))[0, 0])


def test_fourier_discriminator_shapes_and_fixed_projection():
    discriminator = rejection.build_fourier_discriminator(features=8, hidden_units=(4,))
    assert discriminator(tf.zeros((5, 2))).shape == (5, 1)
    projection = discriminator.layers[1]
    assert projection.kernel.shape == (2, 8) and not projection.trainable
    # 2*pi*N(0, 1) frequencies: a spread far above the default Dense initialisation
    wide = rejection.build_fourier_discriminator(features=4096, hidden_units=(4,))
    assert 5.0 < float(np.std(wide.layers[1].kernel.numpy())) < 7.5


def test_discriminator_rejection_sampling_keeps_n_points_near_the_data():
    real = np.tile([[3.0, 3.0]], (512, 1)).astype(np.float32)
    real += 0.05 * np.random.default_rng(0).standard_normal(real.shape).astype(np.float32)
    result = rejection.discriminator_rejection_sampling(
        lambda noise, training=False: noise + 3.0,  # N((3, 3), I): 1.1% within 0.15
        real,
        100,
        latent_dim=2,
        steps=300,
        gamma_percentile=99.0,
    )
    assert result["samples"].shape == (100, 2) and len(result["losses"]) == 300
    distances = np.linalg.norm(result["samples"] - 3.0, axis=1)
    assert np.median(distances) < 0.4  # the generator's own median distance is 1.18
    assert 0.0 < result["acceptance"] < 0.05


def test_sample_with_rejection_on_a_loaded_toy_run(pacgan_run):
    _, setup = load_run(pacgan_run)
    real, _ = data.load_dataset("grid25")
    samples, info = rejection.sample_with_rejection(setup, real, count=100, seed=0, steps=20)
    assert samples.shape == (100, 2) and samples.dtype == np.float32
    assert 0.0 < info["acceptance"] < 0.05  # the 99th percentile keeps about 1% of candidates
    assert len(info["losses"]) == 20
    with pytest.raises(ValueError, match=r"float points \(N, D\)"):
        rejection.sample_with_rejection(setup, np.zeros((4, 28, 28, 1), np.uint8), count=5, seed=0)


def test_sample_with_rejection_refuses_image_runs():
    class ImageSetup:
        output = "images"

    with pytest.raises(ValueError, match="toy-\\* models"):
        rejection.sample_with_rejection(ImageSetup(), np.zeros((4, 2), np.float32), count=5, seed=0)


def test_cli_sample_with_rejection_writes_points_and_the_acceptance(pacgan_run, tmp_path):
    out = tmp_path / "drs.npz"
    arguments = ["sample", "--from", str(pacgan_run), "--n", "100", "--rejection"]
    assert cli.main(arguments + ["--out", str(out)]) == 0
    with np.load(out) as arrays:
        assert arrays["x"].shape == (100, 2) and arrays["x"].dtype == np.float32
        assert 0.0 < float(arrays["acceptance"]) < 0.05
    assert not hasattr(rejection, "main")  # one command line: gan-course sample --rejection
