"""The exercise checker says PASS, FAIL or "not attempted", and never crashes on a learner's
bug; every core notebook's exercises are wired so that the stub reads "not attempted" and
the solution, which its <details> box shows, passes."""

import contextlib
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from gan_course import losses
from gan_course.exercises import NOT_ATTEMPTED, block_outputs, check_exercise, exercise_verdict
from gan_course.models.common import upsampling_block

ROOT = Path(__file__).resolve().parent.parent
CORE_NOTEBOOKS = [
    "01_autoencoder",
    "02_vae",
    "03_vanilla_gan",
    "04_dcgan",
    "05_cgan",
    "06_wgan",
    "07_evaluating_gans",
]


def logits(rng):
    shape = (int(rng.integers(2, 9)), 1)
    return {
        "real_logits": tf.constant(rng.normal(1.0, 2.0, shape), tf.float32),
        "fake_logits": tf.constant(rng.normal(-1.0, 2.0, shape), tf.float32),
        "real_label": 0.9,
    }


def verdict(function, reference=losses.discriminator_loss, make_inputs=logits, **options):
    return exercise_verdict(function, reference, make_inputs, tolerance=1e-5, **options)


def test_the_reference_itself_passes_and_the_line_is_printed(capsys):
    check_exercise(losses.discriminator_loss, losses.discriminator_loss, logits, tolerance=1e-5)
    assert capsys.readouterr().out == "PASS (max difference 0)\n"


def test_a_correct_function_written_differently_passes_with_its_difference():
    def mine(real_logits, fake_logits, real_label):  # the BCE written out by hand
        real = real_label * tf.nn.softplus(-real_logits) + (1 - real_label) * tf.nn.softplus(
            real_logits
        )
        return tf.reduce_mean(real) + tf.reduce_mean(tf.nn.softplus(fake_logits))

    line = verdict(mine)
    assert re.fullmatch(r"PASS \(max difference (0|\d\.?\d?e-\d\d)\)", line), line


def test_a_sign_flip_fails_with_the_difference_the_values_and_the_hint():
    def flipped(real_logits, fake_logits, real_label):
        return -losses.discriminator_loss(real_logits, fake_logits, real_label=real_label)

    line = verdict(flipped, hint="minimise the cross-entropy")
    assert line.startswith("FAIL: max difference ")
    assert "(expected " in line and ", got -" in line
    assert line.endswith(". Hint: minimise the cross-entropy")


def test_a_missing_mean_fails():
    def summed(real_logits, fake_logits, real_label):
        targets = tf.fill(tf.shape(real_logits), real_label)
        real = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=real_logits)
        fake = tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.zeros_like(fake_logits), logits=fake_logits
        )
        return tf.reduce_sum(real) + tf.reduce_sum(fake)  # sums where the loss averages

    assert verdict(summed).startswith("FAIL: max difference ")


def test_label_smoothing_left_out_fails():
    def unsmoothed(real_logits, fake_logits, real_label):
        return losses.discriminator_loss(real_logits, fake_logits, real_label=1.0)

    assert verdict(unsmoothed).startswith("FAIL: max difference ")


def test_a_wrong_shape_fails_instead_of_crashing_or_broadcasting():
    def per_example(real_logits, fake_logits, real_label):  # (B, 1) instead of a scalar
        return tf.nn.softplus(-real_logits) + tf.nn.softplus(fake_logits)

    line = verdict(per_example, hint="average over the batch")
    assert line.startswith("FAIL: your output has shape (") and "expected () (a scalar)" in line
    assert line.endswith("Hint: average over the batch")


def test_an_unattempted_stub_says_so(capsys):
    def stub(real_logits, fake_logits, real_label):
        raise NotImplementedError("your code here")

    check_exercise(stub, losses.discriminator_loss, logits, tolerance=1e-5, hint="unused")
    assert capsys.readouterr().out == NOT_ATTEMPTED + "\n"
    assert NOT_ATTEMPTED == "not attempted yet: fill in the cell above"


def test_a_crash_a_missing_return_and_a_complex_value_are_fail_lines():
    def crashes(real_logits, fake_logits, real_label):
        return tf.matmul(real_logits, fake_logits)  # (B, 1) @ (B, 1): incompatible shapes

    def forgets_return(real_logits, fake_logits, real_label):
        losses.discriminator_loss(real_logits, fake_logits, real_label=real_label)

    def complex_value(real_logits, fake_logits, real_label):
        loss = losses.discriminator_loss(real_logits, fake_logits, real_label=real_label)
        return complex(float(loss), 1e-3)

    assert verdict(crashes).startswith("FAIL: your function raised InvalidArgumentError: ")
    assert verdict(forgets_return) == "FAIL: your function returned None: is a `return` missing?"
    assert verdict(complex_value).startswith("FAIL: your output is complex")


def test_every_trial_counts_so_a_hard_coded_batch_size_fails():
    def only_the_first_batch(real_logits, fake_logits, real_label):
        batch = int(logits(np.random.default_rng(0))["real_logits"].shape[0])
        if real_logits.shape[0] != batch:
            return tf.constant(0.0)
        return losses.discriminator_loss(real_logits, fake_logits, real_label=real_label)

    assert verdict(only_the_first_batch, trials=1).startswith("PASS")
    assert verdict(only_the_first_batch, trials=5).startswith("FAIL")


def test_arrays_and_tuples_point_at_the_wrong_element():
    def pair(rng):
        return rng.standard_normal((3, 4))

    def reference(x):
        return x.mean(axis=0), x.std(axis=0)

    def wrong_second(x):
        mean, std = reference(x)
        return mean, std.copy() * np.array([1.0, 1.0, 2.0, 1.0])

    line = exercise_verdict(wrong_second, reference, pair, tolerance=1e-9)
    assert line.startswith("FAIL: max difference ") and "(value 2 of 2)" in line
    assert line.endswith("at [2])")
    assert exercise_verdict(lambda x: reference(x)[:1], reference, pair, tolerance=1e-9) == (
        "FAIL: your function returned 1 value(s), expected 2"
    )


def test_a_learner_changing_its_inputs_cannot_change_the_reference():
    def in_place(x):
        x *= 0.0  # the learner's copy only
        return x.sum()

    line = exercise_verdict(in_place, np.sum, lambda rng: rng.random(5), tolerance=1e-9)
    assert line.startswith("FAIL: max difference ") and "got 0" in line


def test_bad_check_settings_raise():
    with pytest.raises(ValueError, match="tolerance"):
        exercise_verdict(np.sum, np.sum, lambda rng: rng.random(3), tolerance=0)
    with pytest.raises(ValueError, match="trials"):
        exercise_verdict(np.sum, np.sum, lambda rng: rng.random(3), tolerance=1, trials=0)


def feature_maps(rng):
    return (rng.standard_normal((4, 7, 7, 6)).astype("float32"),)


def block_verdict(block):
    return exercise_verdict(
        lambda maps: block_outputs(block, maps, 3),
        lambda maps: block_outputs(upsampling_block, maps, 3),
        feature_maps,
        tolerance=1e-4,
        trials=1,
    )


def test_block_outputs_give_equal_layers_equal_weights_and_catch_each_difference():
    def block(x, filters, *, kernel=4, bias=False, slope=0.2, batch_norm=True):
        x = layers.Conv2DTranspose(filters, kernel, strides=2, padding="same", use_bias=bias)(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        return layers.LeakyReLU(slope)(x)

    outputs = block_outputs(upsampling_block, feature_maps(np.random.default_rng(0))[0], 3)
    assert outputs["training"].shape == outputs["inference"].shape == (4, 14, 14, 3)
    assert block_verdict(block).startswith("PASS")
    assert block_verdict(lambda x, f: block(x, f, kernel=3)).startswith("FAIL: max difference")
    assert block_verdict(lambda x, f: block(x, f, slope=0.3)).startswith("FAIL: max difference")
    # A bias is cancelled by BatchNorm in training mode, not by the moving statistics.
    assert "('inference')" in block_verdict(lambda x, f: block(x, f, bias=True))
    assert block_verdict(lambda x, f: block(x, f, batch_norm=False)).startswith("FAIL")
    assert block_verdict(lambda x, f: layers.Conv2D(f, 3, padding="same")(x)).startswith(
        "FAIL: your output ('inference') has shape (4, 7, 7, 3), expected (4, 14, 14, 3)"
    )


# --- the notebooks' exercises -------------------------------------------------------------


def exercises(name):
    """(task, stub, check, solution box, solution check) cells of each exercise, in order."""
    cells = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells
    tagged = [
        (index, cell)
        for index, cell in enumerate(cells)
        if "exercise" in cell.metadata.get("tags", [])
    ]
    assert tagged and len(tagged) % 5 == 0, f"{name}: exercises come in five cells"
    groups = [tagged[start : start + 5] for start in range(0, len(tagged), 5)]
    for group in groups:
        indices = [index for index, _ in group]
        assert indices == list(range(indices[0], indices[0] + 5)), (
            "an exercise's cells are adjacent"
        )
    return [[cell for _, cell in group] for group in groups]


def run_cells(sources, namespace):
    output = io.StringIO()
    for source in sources:
        with contextlib.redirect_stdout(output):
            exec(compile(source, "<exercise cell>", "exec"), namespace)
    return output.getvalue()


@pytest.mark.parametrize("name", CORE_NOTEBOOKS)
def test_each_notebook_exercise_reads_not_attempted_then_its_solution_passes(name):
    namespace = {}  # one per notebook, as in Jupyter: a later check may reuse an earlier import
    for task, stub, check, solution, solution_check in exercises(name):
        assert [cell.cell_type for cell in (task, stub, check, solution, solution_check)] == [
            "markdown",
            "code",
            "code",
            "markdown",
            "code",
        ]
        assert "$" in task.source, "the task states its equation"
        assert 'raise NotImplementedError("your code here")' in stub.source
        assert solution.source.startswith("<details><summary>Solution</summary>")
        # The box shows exactly the code whose check the committed output shows.
        shown = re.search(r"```python\n(.*?)```", solution.source, re.S).group(1).strip()
        checked = solution_check.source.split("\n", 1)[1].rsplit("\n\n\n", 1)[0]
        assert checked.replace("def solution_", "def ").strip() == shown
        assert run_cells([stub.source, check.source], namespace).strip() == NOT_ATTEMPTED
        passed = run_cells([solution_check.source], namespace).strip()
        assert re.fullmatch(r"PASS \(max difference [^)]+\)", passed), passed
