import numpy as np
import pytest

from gan_course import viz


def test_image_grid_layout_and_padding():
    images = np.stack([np.full((4, 4, 1), value, np.uint8) for value in (0, 100, 200)])
    grid = viz.image_grid(images, columns=2, padding=1)
    assert grid.shape == (2 * 5 + 1, 2 * 5 + 1, 1)
    assert grid[1, 1, 0] == 0 and grid[1, 6, 0] == 100 and grid[6, 1, 0] == 200
    assert grid[6, 6, 0] == 255 and grid[0, 0, 0] == 255  # empty cell and padding are white


def test_image_grid_scales_float_images():
    grid = viz.image_grid(np.array([[[[-1.0]]], [[[1.0]]]]), columns=2, padding=0)
    assert grid[0, 0, 0] == 0 and grid[0, 1, 0] == 255
    with pytest.raises(ValueError):
        viz.image_grid(np.zeros((2, 4, 4, 2)))


def test_interpolation_endpoints_and_slerp_norm():
    generator = np.random.default_rng(0)
    start, end = generator.standard_normal(64), generator.standard_normal(64)
    for method in ("linear", "slerp"):
        path = viz.interpolate(start, end, 7, method=method)
        assert path.shape == (7, 64)
        np.testing.assert_allclose(path[0], start, rtol=1e-5)
        np.testing.assert_allclose(path[-1], end, rtol=1e-5)
    # slerp between equal-norm vectors keeps the norm; linear interpolation shrinks it mid-way
    end = end / np.linalg.norm(end) * np.linalg.norm(start)
    slerp_mid = viz.interpolate(start, end, 3, method="slerp")[1]
    linear_mid = viz.interpolate(start, end, 3, method="linear")[1]
    assert np.linalg.norm(slerp_mid) == pytest.approx(np.linalg.norm(start), rel=1e-5)
    assert np.linalg.norm(linear_mid) < 0.9 * np.linalg.norm(start)
    with pytest.raises(ValueError, match="unknown interpolation"):
        viz.interpolate(start, end, 3, method="cubic")


def test_make_gif_and_save_grid(tmp_path):
    frames = [
        viz.save_image_grid(tmp_path / f"{i}.png", np.full((4, 8, 8, 1), i * 50, np.uint8))
        for i in range(3)
    ]
    gif = viz.make_gif(frames, tmp_path / "out.gif")
    assert gif.read_bytes()[:6] == b"GIF89a"
    from PIL import Image, ImageSequence

    with Image.open(gif) as opened:  # delays as a GIF viewer reads them, in milliseconds
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(opened)]
    assert durations == [300, 300, 2000]  # every frame held, the last one longest
    with pytest.raises(ValueError):
        viz.make_gif([], tmp_path / "none.gif")


def test_make_gif_keeps_evenly_spaced_downscaled_frames(tmp_path):
    import imageio.v3 as iio

    frames = [
        viz.save_image_grid(tmp_path / f"{i}.png", np.full((4, 8, 8, 1), i * 20, np.uint8))
        for i in range(10)
    ]
    full = iio.imread(viz.make_gif(frames, tmp_path / "full.gif"), index=None)
    small = iio.imread(
        viz.make_gif(frames, tmp_path / "small.gif", max_frames=4, downscale=2), index=None
    )
    assert len(small) == 4 and len(full) == 10
    assert small.shape[1] == (full.shape[1] + 1) // 2 and small.shape[2] == (full.shape[2] + 1) // 2
    means = [frame.mean() for frame in small]
    assert means[0] < means[1] < means[2] < means[3]  # first ... last, in order
    with pytest.raises(ValueError, match="downscale"):
        viz.make_gif(frames, tmp_path / "bad.gif", downscale=0)


def test_figures_are_drawn_at_100_dpi_whatever_the_notebook_default(tmp_path, monkeypatch):
    import imageio.v3 as iio
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setitem(plt.rcParams, "figure.dpi", 60)  # a notebook's light default
    grid_axes = viz.show_images(np.zeros((4, 8, 8, 1), np.uint8))
    history_axes = viz.plot_history([{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.5}])
    assert grid_axes.figure.dpi == history_axes.figure.dpi == viz.FIGURE_DPI >= 100
    plt.close("all")
    scatter = viz.save_scatter(tmp_path / "points.png", np.arange(20.0).reshape(10, 2), size=3.0)
    assert iio.imread(scatter).shape[:2] == (300, 300)  # 3 inches at 100 dpi
