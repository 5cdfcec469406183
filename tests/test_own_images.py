"""Training on your own images through the command line: a folder (colour and grey) and
CIFAR-10 (an offline archive), sampling at the trained shape, evaluating without the
digit classifier, and bad folders refused before anything is written."""

import io
import json
import pickle
import tarfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gan_course import data
from gan_course.cli import main

TINY_DCGAN = [
    "--set",
    "latent_dim=8",
    "--set",
    "generator_filters=16,8",
    "--set",
    "discriminator_filters=8,16",
]
TINY_CGAN = TINY_DCGAN + ["--set", "embedding_dim=4"]
QUICK = ["--epochs", "1", "--batch-size", "16", "--no-progress"]


def draw_shapes(folder, count, *, size=32, mode="RGB", shape="circle", seed=0):
    """`count` PNGs of one bright circle or square on a dark background."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(seed)
    for index in range(count):
        background = tuple(int(v) for v in generator.integers(0, 80, 3))
        image = Image.new("RGB", (size, size), background)
        x, y = generator.integers(size // 4, 3 * size // 4, 2)
        radius = int(generator.integers(size // 10, size // 5))
        fill = tuple(int(v) for v in generator.integers(120, 256, 3))
        box = (x - radius, y - radius, x + radius, y + radius)
        draw = ImageDraw.Draw(image)
        (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=fill)
        image.convert(mode).save(folder / f"{index:03d}.png")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Folders of images, and a data cache (feature networks, the CIFAR-10 archive)."""
    root = tmp_path_factory.mktemp("own_images")
    draw_shapes(root / "shapes" / "circles", 32, shape="circle", seed=1)
    draw_shapes(root / "shapes" / "squares", 32, shape="square", seed=2)
    draw_shapes(root / "grey", 40, size=28, mode="L", seed=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GAN_COURSE_DATA", str(root / "cache"))
        yield root


def samples_of(run, out, *extra):
    assert main(["sample", "--from", str(run), "--n", "40", "--out", str(out), *extra]) == 0
    return np.load(out)


def evaluate(file, dataset, capsys, *extra):
    capsys.readouterr()
    assert main(["evaluate", str(file), "--dataset", dataset, *extra]) == 0
    return json.loads(capsys.readouterr().out)


def check_own_scores(scores, count):
    assert scores["n"] == count
    for key in ("fid", "kid", "precision", "recall", "memorisation"):
        assert np.isfinite(scores[key]), key
    assert 0 <= scores["precision"] <= 1 and 0 <= scores["recall"] <= 1
    assert scores["memorisation"] > 0 and "bottleneck" in scores["features"]
    assert "classifier_score" not in scores and "min_class_share" not in scores
    assert "conditional_accuracy" in scores["not_computed"]


def test_dcgan_trains_samples_and_evaluates_on_a_colour_folder(root, tmp_path, capsys):
    run, folder = tmp_path / "run", f"folder:{root / 'shapes'}"
    argv = ["train", "dcgan", "--dataset", folder, *QUICK, *TINY_DCGAN, "--out", str(run)]
    assert main(argv) == 0
    record = json.loads((run / "run.json").read_text())
    assert record["image_shape"] == [32, 32, 3] and record["classes"] == ["circles", "squares"]
    assert record["dataset"] == f"folder:{root / 'shapes'}"
    arrays = samples_of(run, tmp_path / "s.npz")
    assert arrays["x"].shape == (40, 32, 32, 3) and arrays["x"].dtype == np.uint8
    scores = evaluate(tmp_path / "s.npz", folder, capsys)
    check_own_scores(scores, 40)
    assert "2 class labels" in scores["features"]
    assert list((root / "cache" / "feature_nets").glob("*.weights.h5"))  # cached
    assert evaluate(tmp_path / "s.npz", folder, capsys) == pytest.approx(scores)
    # the same command resumes; another --image-size is refused
    assert main([*argv[:-4], "--epochs", "2", "--no-progress", *TINY_DCGAN, "--out", str(run)]) == 0
    assert [entry["epoch"] for entry in json.loads((run / "history.json").read_text())] == [1, 2]
    assert main([*argv, "--image-size", "64"]) == 2
    assert "no --image-size" in capsys.readouterr().err


def test_grey_28_pixel_folder_resized_from_colour(root, tmp_path, capsys):
    run, folder = tmp_path / "run", f"folder:{root / 'shapes'}"
    argv = ["train", "dcgan", "--dataset", folder, "--image-size", "28", "--channels", "1"]
    assert main([*argv, *QUICK, *TINY_DCGAN, "--out", str(run)]) == 0
    assert json.loads((run / "run.json").read_text())["image_shape"] == [28, 28, 1]
    arrays = samples_of(run, tmp_path / "s.npz")
    assert arrays["x"].shape == (40, 28, 28, 1) and arrays["x"].dtype == np.uint8
    extra = ["--image-size", "28", "--channels", "1"]
    check_own_scores(evaluate(tmp_path / "s.npz", folder, capsys, *extra), 40)


def test_grey_folder_of_one_class(root, tmp_path, capsys):
    run, folder = tmp_path / "run", f"folder:{root / 'grey'}"
    assert (
        main(["train", "dcgan", "--dataset", folder, *QUICK, *TINY_DCGAN, "--out", str(run)]) == 0
    )
    arrays = samples_of(run, tmp_path / "s.npz")
    assert arrays["x"].shape == (40, 28, 28, 1)
    scores = evaluate(tmp_path / "s.npz", folder, capsys)
    check_own_scores(scores, 40)
    assert "one class" in scores["features"]


def test_cgan_conditions_on_the_class_folders(root, tmp_path, capsys):
    run, folder = tmp_path / "run", f"folder:{root / 'shapes'}"
    assert main(["train", "cgan", "--dataset", folder, *QUICK, *TINY_CGAN, "--out", str(run)]) == 0
    assert json.loads((run / "run.json").read_text())["config"]["num_classes"] == 2
    arrays = samples_of(run, tmp_path / "s.npz")
    assert arrays["x"].shape == (40, 32, 32, 3) and sorted(set(arrays["y"].tolist())) == [0, 1]
    assert (
        main(["sample", "--from", str(run), "--out", str(tmp_path / "b.npz"), "--label", "2"]) == 2
    )
    assert "class 0-1" in capsys.readouterr().err
    check_own_scores(evaluate(tmp_path / "s.npz", folder, capsys), 40)


def test_autoencoder_shows_the_folders_own_held_out_images(root, tmp_path, capsys):
    run, folder = tmp_path / "run", f"folder:{root / 'shapes'}"
    tiny = ["--set", "latent_dim=4", "--set", "filters=8,16"]
    argv = ["train", "autoencoder", "--dataset", folder, "--image-size", "64", *QUICK, *tiny]
    assert main([*argv, "--out", str(run)]) == 0
    grid = np.asarray(Image.open(run / "samples" / "epoch_0001.png"))
    assert grid.ndim == 3 and grid.std() > 0  # reconstructions of held-out shapes, not blank
    # a reconstruction model has nothing to sample, and says so (no download attempted)
    assert main(["sample", "--from", str(run), "--out", str(tmp_path / "s.npz")]) == 2
    assert "nothing to sample" in capsys.readouterr().err


def write_cifar_archive(cache, monkeypatch):
    """A small CIFAR-10 archive (5 x 8 training rows, 8 test rows) the loader takes as real."""
    generator = np.random.default_rng(4)
    archive = cache / "cifar-10-python.tar.gz"
    cache.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            rows = generator.integers(0, 256, (8, 3072), dtype=np.uint8)
            payload = pickle.dumps({b"data": rows, b"labels": list(range(8))})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    origin, _ = data.REMOTE_FILES[archive.name]
    monkeypatch.setitem(
        data.REMOTE_FILES, archive.name, (origin, data.file_hash(archive, "sha256"))
    )


def test_cifar10_goes_through_the_same_path(root, tmp_path, monkeypatch, capsys):
    write_cifar_archive(root / "cache", monkeypatch)
    run = tmp_path / "run"
    argv = ["train", "dcgan", "--dataset", "cifar10", *QUICK, *TINY_DCGAN, "--out", str(run)]
    assert main(argv) == 0
    assert json.loads((run / "run.json").read_text())["image_shape"] == [32, 32, 3]
    assert samples_of(run, tmp_path / "s.npz")["x"].shape == (40, 32, 32, 3)
    scores = evaluate(tmp_path / "s.npz", "cifar10", capsys)
    check_own_scores(scores, 40)
    assert "8 class labels" in scores["features"]
    # an --image-size the samples do not have: one line, exit 2
    argv = ["evaluate", str(tmp_path / "s.npz"), "--dataset", "cifar10", "--image-size", "64"]
    assert main(argv) == 2
    assert "--image-size 64 was asked" in capsys.readouterr().err


def run_cli(argv, capsys):
    """(exit code, stderr) of the command line, whether argparse or a ValueError stops it."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_info:
        code = exit_info.code
    return code, capsys.readouterr().err.strip()


def make_bad_folders(base):
    (base / "empty").mkdir()
    draw_shapes(base / "corrupt", 4)
    (base / "corrupt" / "004.png").write_bytes(b"\x89PNG\r\n\x1a\n half a file")
    draw_shapes(base / "mixed", 4)
    draw_shapes(base / "mixed", 2, size=64)  # overwrites 000, 001 at another size
    draw_shapes(base / "one_class" / "cats", 20)
    draw_shapes(base / "loose_and_classes", 4)
    draw_shapes(base / "loose_and_classes" / "dogs", 4)
    (base / "a_file.png").write_text("x")


BAD = [
    (["dcgan", "--dataset", "folder:{base}/empty"], "holds no"),
    (["dcgan", "--dataset", "folder:{base}/corrupt"], "cannot read image"),
    (["dcgan", "--dataset", "folder:{base}/mixed"], "pass --image-size"),
    (["cgan", "--dataset", "folder:{base}/one_class"], "needs at least 2 classes"),
    (["dcgan", "--dataset", "folder:{base}/nowhere"], "does not exist"),
    (["dcgan", "--dataset", "folder:{base}/a_file.png"], "not a folder"),
    (["dcgan", "--dataset", "folder:{base}/loose_and_classes"], "both image files"),
    (["dcgan", "--dataset", "folder:{base}/mixed", "--image-size", "48"], "28, 32, 64"),
    (["dcgan", "--dataset", "folder:{base}/mixed", "--image-size", "0"], "must be positive"),
    (["dcgan", "--dataset", "folder:{base}/mixed", "--channels", "2"], "1 (grey) or 3"),
    (["cyclegan", "--dataset", "folder:{base}/one_class"], "with 1 channel"),
    (["dcgan", "--dataset", "folder:"], "invalid choice"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a[:1] + a[2:]) for a, _ in BAD])
def test_bad_folders_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, argv, message):
    make_bad_folders(tmp_path)
    out = tmp_path / "out"
    argv = ["train", *(part.format(base=tmp_path) for part in argv), "--out", str(out)]
    code, error = run_cli([*argv, "--no-progress"], capsys)
    assert code == 2 and message in error and len(error.splitlines()) == 1, error
    assert not out.exists()
