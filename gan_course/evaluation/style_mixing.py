"""Measures of a StyleGAN-lite's style mixing and truncation (notebook 11, benchmarks/stylegan_mixing.py).

Style mixing works when the coarse layers decide *what* is drawn and the fine layers *how*:
with the coarse styles of z_A and the fine styles of z_B, the course classifier should still
read A's digit, and a stroke measure should follow B. Truncation works when pulling w towards
its average trades diversity (recall) for quality (precision) along a measured curve.
"""

from __future__ import annotations

import numpy as np

# The crossover the criteria use, fixed before measuring: layers 0-3 (the 7x7 and 14x14
# resolutions) from A, layers 4-5 (28x28) from B. Two resolutions decide the digit's shape;
# only the last one draws strokes at full size.
COARSE_CROSSOVER = 4
KEEPS_CLASS_BAR = 0.80  # share of mixes (A and B of different digits) read as A's digit
INK_CORRELATION_BAR = 0.5  # Pearson r between the mixes' ink mass and B's
TRUNCATION_PSIS = (1.0, 0.8, 0.6, 0.4, 0.2)


def ink_mass(images) -> np.ndarray:
    """Mean ink per image (N,), in [0, 1], for float images in [-1, 1] (N, H, W, C):
    the stroke measure (thicker or longer strokes, more ink)."""
    images = np.asarray(images, dtype=np.float32)
    return ((images + 1.0) / 2.0).reshape(len(images), -1).mean(axis=1)


def _images(mapping, synthesis, z, noise, batch: int = 500, **options) -> np.ndarray:
    from gan_course.models.stylegan import generate

    chunks = []
    for start in range(0, len(z), batch):
        part = {
            key: value[start : start + batch] if key == "z_fine" else value
            for key, value in options.items()
        }
        chunks.append(
            np.asarray(
                generate(
                    mapping,
                    synthesis,
                    z[start : start + batch],
                    noise[start : start + batch],
                    **part,
                )
            )
        )
    return np.concatenate(chunks)  # (N, H, W, C) in [-1, 1]


def _draws(mapping, synthesis, count: int, seed: int):
    rng = np.random.default_rng(seed)
    latent_dim = mapping.inputs[0].shape[1]
    noise_shape = tuple(synthesis.inputs[1].shape[1:])  # (H, W, L)
    z = rng.standard_normal((count, latent_dim)).astype("float32")
    noise = rng.standard_normal((count, *noise_shape)).astype("float32")
    return rng, z, noise


def mixing_scores(
    mapping, synthesis, *, count: int = 2000, crossover: int = COARSE_CROSSOVER, seed: int = 0
) -> dict:
    """Style mixing measured on `count` (A, B) pairs; each pair and its mix share one noise map.

    Keys: pairs (those whose A and B the classifier reads as different digits), keeps_coarse
    (share of those mixes read as A's digit), takes_fine (as B's digit), ink_follows_fine and
    ink_follows_coarse (Pearson r of the mixes' ink mass with B's and with A's, all pairs),
    crossover.
    """
    from gan_course.data import to_uint8
    from gan_course.evaluation.classifier import predict_digits

    rng, z_coarse, noise = _draws(mapping, synthesis, count, seed)
    z_fine = rng.standard_normal(z_coarse.shape).astype("float32")
    coarse = _images(mapping, synthesis, z_coarse, noise)
    fine = _images(mapping, synthesis, z_fine, noise)
    mixed = _images(mapping, synthesis, z_coarse, noise, z_fine=z_fine, crossover=crossover)
    digits = [predict_digits(to_uint8(images, "gan")) for images in (coarse, fine, mixed)]
    different = digits[0] != digits[1]  # same-digit pairs would pass either way
    ink = [ink_mass(images) for images in (coarse, fine, mixed)]
    return {
        "crossover": crossover,
        "pairs": int(different.sum()),
        "keeps_coarse": float(np.mean(digits[2][different] == digits[0][different])),
        "takes_fine": float(np.mean(digits[2][different] == digits[1][different])),
        "ink_follows_fine": float(np.corrcoef(ink[2], ink[1])[0, 1]),
        "ink_follows_coarse": float(np.corrcoef(ink[2], ink[0])[0, 1]),
    }


def mixing_passed(scores: dict) -> tuple[bool, bool]:
    """(class kept from A, ink follows B) against the bars of this module."""
    keeps = scores["keeps_coarse"] >= KEEPS_CLASS_BAR
    ink = scores["ink_follows_fine"] >= INK_CORRELATION_BAR
    return keeps, ink and scores["ink_follows_fine"] > scores["ink_follows_coarse"]


def centre_w_average(mapping, *, count: int = 10_000, seed: int = 0) -> np.ndarray:
    """Set the mapping's w average (the centre of truncation) to the mean of its own w over
    `count` draws of z, and return it (w_dim,).

    Call it on a weight-averaged mapping before truncating: the w average that training
    tracked is a running mean of the *trained* mapping's w, and the weight average carries
    only its average, not the mean w of the averaged mapping.
    """
    latent_dim = mapping.inputs[0].shape[1]
    z = np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32")
    mean = np.asarray(mapping.predict(z, batch_size=1000, verbose=0)).mean(axis=0)
    average = mapping.get_layer("w_average").average
    average.assign(mean.astype(average.dtype))
    return mean


def truncation_curve(
    mapping,
    synthesis,
    *,
    real,
    train=None,
    held_out=None,
    psis=TRUNCATION_PSIS,
    count: int = 2000,
    seed: int = 0,
) -> list[dict]:
    """FID, precision and recall of `count` samples at each psi (fresh noise, same z for all):
    one row {psi, fid, precision, recall, recognisable_share} per psi. Truncation pulls w
    towards the mapping's w average (see `centre_w_average`)."""
    from gan_course.data import to_uint8
    from gan_course.evaluation.metrics import evaluate_samples

    _, z, noise = _draws(mapping, synthesis, count, seed)
    rows = []
    for psi in psis:
        images = to_uint8(_images(mapping, synthesis, z, noise, psi=psi), "gan")
        scores = evaluate_samples(images, real=real, train=train, held_out=held_out)
        keys = ("fid", "precision", "recall", "recognisable_share")
        rows.append({"psi": psi, **{key: float(scores[key]) for key in keys}})
    return rows


def truncation_passed(rows: list[dict]) -> bool:
    """Diversity falls and quality rises as psi falls: recall never rises from one psi to the
    next smaller one, and precision at the smallest psi is above precision at psi = 1."""
    rows = sorted(rows, key=lambda row: -row["psi"])
    recalls = [row["recall"] for row in rows]
    falling = all(later <= earlier for earlier, later in zip(recalls, recalls[1:]))
    return falling and rows[-1]["precision"] > rows[0]["precision"]
