"""Run in a fresh process (logical devices must be set before TensorFlow starts):
one MirroredStrategy step on two logical CPUs vs one single-device step on the same batch.
Prints JSON: the largest weight difference and the step outputs of both."""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras
import numpy as np

from gan_course.models.autoencoder import (
    build_autoencoder_decoder,
    build_autoencoder_encoder,
    make_autoencoder_train_step,
)
from gan_course.training.distribution import distribute_step

images = np.random.default_rng(0).uniform(size=(32, 28, 28, 1)).astype("float32")


def two_steps(strategy):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        encoder = build_autoencoder_encoder(architecture="conv", latent_dim=4, filters=(8, 16))
        decoder = build_autoencoder_decoder(architecture="conv", latent_dim=4, filters=(8, 16))
        variables = encoder.trainable_variables + decoder.trainable_variables
        # Plain SGD: its update is proportional to the gradient, so a loss that is not
        # averaged over the global batch would show (Adam's first steps hide the scale).
        optimizer = keras.optimizers.SGD(learning_rate=0.05)
        optimizer.build(variables)
        rng = tf.random.Generator.from_seed(0)
    step = make_autoencoder_train_step(encoder, decoder, optimizer, rng=rng)
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(16)
    if strategy.num_replicas_in_sync > 1:
        step = distribute_step(step, strategy)
        dataset = strategy.experimental_distribute_dataset(dataset)
    outputs = [float(step(batch)["loss"]) for batch in dataset]
    return [v.numpy() for v in variables], outputs


single_weights, single_losses = two_steps(tf.distribute.get_strategy())
mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
mirrored_weights, mirrored_losses = two_steps(mirrored)

# The course's GAN step and loop under the same strategy: a real DCGAN for a few steps.
from gan_course.data import load_dataset, make_dataset
from gan_course.models.dcgan import DCGANConfig, build_dcgan_setup
from gan_course.training import fit

digits, _ = load_dataset("mnist_5k")
with mirrored.scope():
    setup = build_dcgan_setup(
        DCGANConfig(
            latent_dim=16,
            generator_filters=(32, 16),
            discriminator_filters=(16, 32),
            # Both write variables from inside the replicated step: the average through
            # merge_call, the augmentation through the shared RNG.
            weight_average_decay=0.9,
            augment_translation=0.125,
            augment_cutout=0.5,
        ),
        seed=0,
    )
before = [v.numpy() for v in setup.models["generator"].trainable_variables]
history = fit(
    setup.train_step,
    make_dataset(digits[:256], batch_size=64, seed=0),
    epochs=1,
    strategy=mirrored,
    progress=False,
    verbose=False,
)
average_moved = int(setup.extra_state["generator_average_updates"].numpy())
generator_moved = any(
    np.any(a != v.numpy())
    for a, v in zip(before, setup.models["generator"].trainable_variables, strict=True)
)

# Weight clipping writes the critic's variables from inside the replicated step.
from gan_course.models.wgan import WGANConfig, build_wgan_setup

with mirrored.scope():
    wgan = build_wgan_setup(
        WGANConfig(latent_dim=16, generator_filters=(32, 16), critic_filters=(16, 32)), seed=0
    )
fit(
    wgan.train_step,
    make_dataset(digits[:128], batch_size=64, seed=0),
    epochs=1,
    strategy=mirrored,
    progress=False,
    verbose=False,
)
critic_values = [
    float(np.max(np.abs(replica.numpy())))
    for variable in wgan.models["critic"].trainable_variables
    for replica in mirrored.experimental_local_results(variable)
]

print(
    json.dumps(
        {
            "replicas": mirrored.num_replicas_in_sync,
            "max_weight_difference": max(
                float(np.max(np.abs(a - b)))
                for a, b in zip(single_weights, mirrored_weights, strict=True)
            ),
            "single_losses": single_losses,
            "mirrored_losses": mirrored_losses,
            "gan_history": history,
            "gan_generator_moved": bool(generator_moved),
            "gan_average_updates": average_moved,
            "wgan_largest_critic_weight": max(critic_values),
            "wgan_clip_value": WGANConfig().clip_value,
        }
    )
)
