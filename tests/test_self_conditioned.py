"""Self-conditioned DCGAN: k-means clusters, cluster shares, and the CLI round trip
(train on clusters, sample without labels, resume only on the same data)."""

import json

import numpy as np
import pytest
from PIL import Image

from gan_course import cli
from gan_course.data.clusters import cluster_sizes, kmeans_clusters
from gan_course.models.self_conditioned import SelfConditionedConfig, grid_inputs

TINY = ["--set", "embedding_dim=4", "--set", "generator_filters=16,8"]
TINY += ["--set", "discriminator_filters=8,16"]


def blobs(count_per_blob=40, seed=0):
    """Three groups of 8x8 images, each a different bright square plus a little noise."""
    rng = np.random.default_rng(seed)
    images, groups = [], []
    for group, (row, column) in enumerate([(0, 0), (0, 4), (4, 2)]):
        base = np.zeros((8, 8, 1), np.float32)
        base[row : row + 4, column : column + 4] = 255
        noise = rng.normal(0, 20, (count_per_blob, 8, 8, 1))
        images.append(np.clip(base + noise, 0, 255).astype(np.uint8))
        groups += [group] * count_per_blob
    return np.concatenate(images), np.array(groups)


def test_kmeans_finds_separated_groups():
    images, groups = blobs()
    clusters = kmeans_clusters(images, 3, seed=0)
    assert clusters.dtype == np.int32 and clusters.shape == (120,)
    # Each group lands in one cluster, and no two groups share one (labels may be permuted).
    for group in range(3):
        assert len(set(clusters[groups == group])) == 1
    assert len(set(clusters)) == 3
    np.testing.assert_array_equal(clusters, kmeans_clusters(images, 3, seed=0))  # same seed


def test_kmeans_keeps_every_cluster_in_use():
    # Five clusters but only two distinct images: the empty clusters take points anyway.
    images = np.concatenate([np.zeros((4, 2, 2)), np.full((4, 2, 2), 9.0)])
    clusters = kmeans_clusters(images, 5, seed=0)
    assert sorted(set(clusters.tolist())) == [0, 1, 2, 3, 4]
    assert cluster_sizes(clusters, 5) == tuple(np.bincount(clusters, minlength=5).tolist())


@pytest.mark.parametrize("count", [1, 0, 9, 2.5])
def test_kmeans_rejects_bad_counts(count):
    with pytest.raises(ValueError, match="clusters"):
        kmeans_clusters(np.zeros((8, 2, 2)), count)


def test_config_checks_and_shares():
    with pytest.raises(ValueError, match="clusters must be"):
        SelfConditionedConfig(clusters=1)
    with pytest.raises(ValueError, match="set from the data"):
        SelfConditionedConfig(clusters=3, cluster_sizes=(1, 2))
    assert SelfConditionedConfig(clusters=4).cluster_shares() == (0.25,) * 4
    config = SelfConditionedConfig(clusters=2, cluster_sizes=(1, 3))
    assert config.cluster_shares() == (0.25, 0.75)
    noise, clusters = grid_inputs(config, count=400, seed=0)
    assert noise.shape == (400, config.latent_dim) and clusters.dtype == np.int32
    assert 0.65 < clusters.mean() < 0.85  # cluster 1 holds three quarters of the images


def test_cli_trains_on_clusters_and_samples_by_their_shares(tmp_path):
    run = tmp_path / "run"
    args = ["train", "self-conditioned", "--epochs", "1", "--batch-size", "256"]
    args += ["--latent-dim", "8", "--out", str(run), "--no-progress", *TINY, "--set", "clusters=5"]
    assert cli.main(args) == 0
    sizes = json.loads((run / "run.json").read_text())["config"]["cluster_sizes"]
    assert len(sizes) == 5 and sum(sizes) == 4500  # every training digit has a cluster
    out = tmp_path / "samples.npz"
    assert cli.main(["sample", "--from", str(run), "--n", "3000", "--out", str(out)]) == 0
    with np.load(out) as arrays:
        assert arrays["x"].shape == (3000, 28, 28) and arrays["x"].dtype == np.uint8
        assert "y" not in arrays  # a cluster is no class for `evaluate` to score
        drawn = np.bincount(arrays["cluster"], minlength=5) / 3000
    np.testing.assert_allclose(drawn, np.array(sizes) / 4500, atol=0.03)
    assert (
        cli.main(["sample", "--from", str(run), "--n", "4", "--label", "1", "--out", str(out)]) == 2
    )


def write_folder(root, seed):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(40):
        pixels = rng.integers(0, 256, (28, 28), dtype=np.uint8)
        Image.fromarray(pixels).save(root / f"{index}.png")


def test_resume_on_other_images_is_refused(tmp_path, capsys):
    folder, run = tmp_path / "images", tmp_path / "run"
    write_folder(folder, seed=0)
    args = ["train", "self-conditioned", "--dataset", f"folder:{folder}", "--epochs", "1"]
    args += ["--batch-size", "8", "--latent-dim", "8", "--out", str(run), "--no-progress"]
    args += [*TINY, "--set", "clusters=3"]
    assert cli.main(args) == 0
    write_folder(folder, seed=1)  # the same file names, other pixels
    args[args.index("--epochs") + 1] = "2"
    capsys.readouterr()
    assert cli.main(args) == 2
    assert "not the ones this run found its clusters in" in capsys.readouterr().err
