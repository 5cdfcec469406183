"""CycleGAN's two digit domains: thin (A) and thick (B), split by the digits' own pixels.

Domain A is the training digits as they are; domain B is a *disjoint* half of them with
their strokes thickened by a grey dilation (a 3x3 maximum filter). Which half a digit
belongs to is a fixed function of its pixels (`domain_b_mask`), so the split is the same
in every epoch, in the notebook and on the command line, and no digit is ever seen in
both domains.
"""

from __future__ import annotations


def thicken(images, size: int = 3):
    """Grey dilation of [-1, 1] images (B, H, W, C): each pixel becomes the maximum of its
    size x size neighbourhood, so bright strokes grow by (size - 1) / 2 pixels per side."""
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.float32)
    return tf.nn.max_pool2d(images, ksize=size, strides=1, padding="SAME")


def domain_b_mask(images):
    """True for the digits of domain B: those whose uint8 pixel values sum to an odd number.

    Takes [-1, 1] floats (B, H, W, C) or uint8 images; a fixed function of the pixels, so
    it splits any image set into two disjoint halves, the same way every time.
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(images)
    if images.dtype != tf.uint8:  # [-1, 1] floats back to the exact integers 0..255
        images = tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5)
    totals = tf.reduce_sum(tf.cast(images, tf.int32), axis=tf.range(1, tf.rank(images)))
    return tf.equal(totals % 2, 1)  # (B,)


def split_domains(images, *, dilation: int = 3):
    """[-1, 1] images (B, H, W, C) -> (domain A digits as they are, thickened domain B digits)."""
    import tensorflow as tf

    in_b = domain_b_mask(images)
    return tf.boolean_mask(images, ~in_b), thicken(tf.boolean_mask(images, in_b), dilation)
