"""A small DCGAN-style generator/discriminator pair on MNIST (Chapter 5.1), built like the other networks.

The pair follows DCGAN (Radford, Metz and Chintala 2015, arXiv:1511.06434) at MNIST scale: the generator is
Dense → 2 transposed convolutions with batch normalisation, ReLU inside and tanh out, always; the
discriminator is 2 strided convolutions → Dense logit, with the run's activation after each convolution.
Weights are drawn from N(0, 0.02), as in DCGAN. As in `models`, the initial weights depend only on the seed, never
on the discriminator's activation. The engine trains the pair with `engine.gan.GANTrainer`.
"""

from __future__ import annotations

LATENT_DIM = 64
INIT_STDDEV = 0.02  # DCGAN's N(0, 0.02) initial weights

# Keras is imported by the functions that build, as in `models`.


def build_dcgan(activation: str, alpha: float, seed: int, discriminator_batch_norm: bool = True):
    """The pair as one Keras model noise → D(G(noise)), with sub-models "generator" and "discriminator"."""
    import keras

    generator = build_generator(seed)
    discriminator = build_discriminator(activation, alpha, seed, batch_norm=discriminator_batch_norm)
    noise = keras.Input((LATENT_DIM,), name="noise")
    return keras.Model(noise, discriminator(generator(noise)), name="dcgan")


def build_generator(seed: int):
    """Noise (64) → Dense 7·7·64 → BN → ReLU → ConvT 32 (14 × 14) → BN → ReLU → ConvT 1 (28 × 28), tanh."""
    import keras
    from keras import layers

    init = lambda k: keras.initializers.RandomNormal(0.0, INIT_STDDEV, seed=seed * 1000 + k)  # noqa: E731
    return keras.Sequential([
        keras.Input((LATENT_DIM,)),
        layers.Dense(7 * 7 * 64, use_bias=False, kernel_initializer=init(1), name="project"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init(2),
                               name="deconv1"),
        layers.BatchNormalization(name="bn2"),
        layers.ReLU(name="relu2"),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", kernel_initializer=init(3),
                               name="image"),
    ], name="generator")


def build_discriminator(activation: str, alpha: float, seed: int, batch_norm: bool = True):
    """Image → Conv 32 stride 2 → act → Conv 64 stride 2 → BN → act → Dense logit (no batch norm on the input
    layer, as in DCGAN). The initial weights do not depend on the activation. Without `batch_norm` the second
    convolution has a bias (initially zero) instead of the normalisation, and its kernel starts the same."""
    import keras
    from keras import layers

    from .activations import activation_layer

    init = lambda k: keras.initializers.RandomNormal(0.0, INIT_STDDEV, seed=seed * 1000 + 100 + k)  # noqa: E731
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 4, strides=2, padding="same", kernel_initializer=init(1), name="conv1"),
        activation_layer(activation, alpha, layer_name="act1"),
        layers.Conv2D(64, 4, strides=2, padding="same", use_bias=not batch_norm, kernel_initializer=init(2),
                      name="conv2"),
        *([layers.BatchNormalization(name="bn2")] if batch_norm else []),
        activation_layer(activation, alpha, layer_name="act2"),
        layers.Flatten(),
        layers.Dense(1, kernel_initializer=init(3), name="logit"),
    ], name="discriminator")
