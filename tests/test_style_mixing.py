"""The style-mixing and truncation measures of gan_course.evaluation.style_mixing."""

import numpy as np
import pytest

from gan_course.evaluation import style_mixing
from gan_course.models.stylegan import build_stylegan_mapping, build_stylegan_synthesis


@pytest.fixture(scope="module")
def parts():
    mapping = build_stylegan_mapping(latent_dim=8, w_dim=8, num_layers=2)
    synthesis = build_stylegan_synthesis(w_dim=8, filters=(16, 8, 8))
    return mapping, synthesis


def test_ink_mass_is_the_mean_ink_in_unit_range():
    images = -np.ones((3, 4, 4, 1), "float32")
    images[1, :2] = 1.0  # half the pixels inked
    images[2] = 1.0
    np.testing.assert_allclose(style_mixing.ink_mass(images), [0.0, 0.5, 1.0])


def test_a_crossover_at_the_last_layer_keeps_a_and_at_zero_takes_b(parts):
    mapping, synthesis = parts
    layers = synthesis.inputs[0].shape[1]
    only_a = style_mixing.mixing_scores(mapping, synthesis, count=60, crossover=layers)
    only_b = style_mixing.mixing_scores(mapping, synthesis, count=60, crossover=0)
    if only_a["pairs"]:  # an untrained generator may draw one digit only
        assert only_a["keeps_coarse"] == 1.0 and only_b["takes_fine"] == 1.0
    assert only_a["ink_follows_coarse"] == pytest.approx(1.0, abs=1e-5)
    assert only_b["ink_follows_fine"] == pytest.approx(1.0, abs=1e-5)
    assert style_mixing.mixing_passed(only_b)[1] and not style_mixing.mixing_passed(only_a)[1]


def test_truncation_passes_only_when_recall_falls_and_precision_rises():
    def curve(recalls, precisions):
        return [
            {"psi": psi, "recall": r, "precision": p, "fid": 0.0}
            for psi, r, p in zip((1.0, 0.6, 0.2), recalls, precisions, strict=True)
        ]

    assert style_mixing.truncation_passed(curve((0.6, 0.4, 0.1), (0.2, 0.3, 0.5)))
    assert not style_mixing.truncation_passed(curve((0.6, 0.7, 0.1), (0.2, 0.3, 0.5)))
    assert not style_mixing.truncation_passed(curve((0.6, 0.4, 0.1), (0.5, 0.3, 0.2)))
