"""The networks people train today, small enough for two CPU cores (Chapter 8).

- On MNIST-1D signals (40 positions, 1 channel): the reference MLP and plain CNN of its authors (Greydanus & Kobak's
  `MLPBase` and `ConvBase`, with PyTorch's default initialisation), a 1-D ResNet with BatchNorm, and a small
  pre-LayerNorm transformer encoder whose feed-forward block carries the activation.
- On MNIST images: the seed article's CNN with BatchNorm after each convolution (before the activation), and a
  deep MLP whose layers have residual connections and/or LayerNorm (Chapter 5's deep-and-narrow shapes).

As in `models`, a network's initial weights depend only on `seed` (each layer draws from `models.layer_seed(seed, k)`),
never on the activation, so runs that differ only in the activation start from the same weights (PReLU's slopes are
extra weights). Every hidden activation layer is named `act…` and follows the layer whose output is its pre-activation,
so the probes find them.
"""

from __future__ import annotations

import math

from .models import layer_seed
from .names import DEFAULT_ALPHA, check_activation
from .validation import check_choice, check_int

SIGNAL_SHAPE = (40, 1)
N_CLASSES = 10
MLP_BLOCKS = ("residual", "layernorm", "residual_layernorm")
"""Blocks of `mlp_blocks`: h + act(Dense h); act(LayerNorm(Dense h)); h + act(LayerNorm(Dense h))."""
FEED_FORWARD_MULTIPLIER = 4
"""A transformer's feed-forward block is width → 4·width → width, as in Vaswani et al. (2017)."""
EMBED_KERNEL = 5
"""The transformer's embedding: a 1-D convolution of this kernel over the signal (stride 1, "same" padding)."""


def _torch_default(fan_in: int, seed: int):
    """(kernel, bias) initialisers as PyTorch's nn.Linear/nn.Conv1d draw them: both U(±1/√fan_in)."""
    import keras

    bound = 1.0 / math.sqrt(fan_in)
    return (keras.initializers.VarianceScaling(1.0 / 3.0, "fan_in", "uniform", seed=seed),
            keras.initializers.RandomUniform(-bound, bound, seed=seed + 500))


def _checked(activation, alpha, seed):
    activation, alpha = check_activation(activation, alpha)
    return activation, alpha, check_int("seed", seed, low=0)


def mnist1d_mlp(width: int = 100, activation: str = "relu", alpha: float = DEFAULT_ALPHA, *, seed: int = 0):
    """The authors' MNIST-1D MLP: h = act(Dense(width) x); h = h + act(Dense(width) h); Dense softmax."""
    import keras

    from .activations import activation_layer

    activation, alpha, seed = _checked(activation, alpha, seed)
    width = check_int("width", width, low=1)
    x = keras.Input(SIGNAL_SHAPE, name="signal")
    flat = keras.layers.Flatten(name="flatten")(x)
    first = _initializers(_torch_default(SIGNAL_SHAPE[0], layer_seed(seed, 1)))
    h = keras.layers.Dense(width, name="dense_1", **first)(flat)
    h = activation_layer(activation, alpha, layer_name="act_1")(h)
    branch = keras.layers.Dense(width, name="dense_2", **_initializers(_torch_default(width, layer_seed(seed, 2))))(h)
    branch = activation_layer(activation, alpha, layer_name="act_2")(branch)
    h = keras.layers.Add(name="residual")([h, branch])
    out = keras.layers.Dense(N_CLASSES, activation="softmax", name="classifier",
                             **_initializers(_torch_default(width, layer_seed(seed, 3))))(h)
    return keras.Model(x, out, name=f"mnist1d_mlp{width}_{activation}")


def mnist1d_cnn(width: int = 25, activation: str = "relu", alpha: float = DEFAULT_ALPHA, *, seed: int = 0):
    """The authors' MNIST-1D CNN: three Conv1D(width) with stride 2 and padding 1 (kernels 5, 3, 3), each followed
    by the activation, then Flatten and Dense softmax (5,210 weights at width 25)."""
    import keras

    from .activations import activation_layer

    activation, alpha, seed = _checked(activation, alpha, seed)
    width = check_int("width", width, low=1)
    layers = [keras.Input(SIGNAL_SHAPE, name="signal")]
    channels_in = 1
    for i, kernel in enumerate((5, 3, 3), start=1):
        layers += [keras.layers.ZeroPadding1D(1, name=f"pad{i}"),
                   keras.layers.Conv1D(width, kernel, strides=2, name=f"conv{i}",
                                       **_initializers(_torch_default(kernel * channels_in, layer_seed(seed, i)))),
                   activation_layer(activation, alpha, layer_name=f"act{i}", shared_axes=[1])]
        channels_in = width
    layers += [keras.layers.Flatten(name="flatten"),
               keras.layers.Dense(N_CLASSES, activation="softmax", name="classifier",
                                  **_initializers(_torch_default(5 * width, layer_seed(seed, 4))))]
    return keras.Sequential(layers, name=f"mnist1d_cnn{width}_{activation}")


def _initializers(pair) -> dict:
    return {"kernel_initializer": pair[0], "bias_initializer": pair[1]}


def resnet1d(blocks: int = 3, width: int = 32, activation: str = "relu", alpha: float = DEFAULT_ALPHA, *,
             seed: int = 0):
    """A 1-D ResNet: Conv1D(width, 5) → BN → act, then `blocks` basic blocks x → act(x + BN(Conv(act(BN(Conv x)))))
    with kernels 3 at full length, then global average pooling and Dense softmax (He et al. 2016, in one dimension)."""
    import keras

    from .activations import activation_layer

    activation, alpha, seed = _checked(activation, alpha, seed)
    blocks = check_int("depth", blocks, low=1)
    width = check_int("width", width, low=1)
    k = iter(range(1, 10_000))

    def conv_bn(h, kernel, name):
        h = keras.layers.Conv1D(width, kernel, padding="same", use_bias=False, name=f"conv_{name}",
                                kernel_initializer=keras.initializers.HeNormal(seed=layer_seed(seed, next(k))))(h)
        return keras.layers.BatchNormalization(name=f"bn_{name}")(h)

    def act(name):
        return activation_layer(activation, alpha, layer_name=f"act_{name}", shared_axes=[1])

    x = keras.Input(SIGNAL_SHAPE, name="signal")
    h = act("stem")(conv_bn(x, 5, "stem"))
    for b in range(1, blocks + 1):
        branch = act(f"{b}a")(conv_bn(h, 3, f"{b}a"))
        branch = conv_bn(branch, 3, f"{b}b")
        h = act(f"{b}b")(keras.layers.Add(name=f"add_{b}")([h, branch]))
    h = keras.layers.GlobalAveragePooling1D(name="pool")(h)
    out = keras.layers.Dense(N_CLASSES, activation="softmax", name="classifier",
                             kernel_initializer=keras.initializers.GlorotUniform(seed=layer_seed(seed, next(k))))(h)
    return keras.Model(x, out, name=f"resnet1d_{blocks}x{width}_{activation}")


def _position_embedding_layer():
    """A layer adding a learned vector to each position of a sequence (defined when Keras is imported)."""
    import keras

    class PositionEmbedding(keras.layers.Layer):
        def __init__(self, seed: int, **kwargs):
            super().__init__(**kwargs)
            self.seed = seed

        def build(self, input_shape):
            self.positions = self.add_weight(shape=tuple(input_shape[1:]), name="positions",
                                             initializer=keras.initializers.RandomNormal(stddev=0.02, seed=self.seed))

        def call(self, x):
            return x + self.positions

    return PositionEmbedding


def transformer1d(layers: int = 2, width: int = 32, heads: int = 4, activation: str = "relu",
                  alpha: float = DEFAULT_ALPHA, *, seed: int = 0):
    """A pre-LayerNorm transformer encoder on the 40 positions of a signal: a convolutional embedding (Conv1D(width),
    kernel `EMBED_KERNEL`, stride 1: a token is a short window of the signal) plus learned positions; `layers` ×
    [x + MultiHeadAttention(LN x); x + Dense(width)(act(Dense(4·width)(LN x)))]; LN, mean over positions, Dense
    softmax. The activation is the feed-forward block's (Xiong et al. 2020 for pre-LN).

    Why not one token per sample: a Dense(width) embedding of each scalar sample fitted the 4,000 training signals
    exactly and reached 0.57–0.63 test accuracy (8 runs of 200 epochs, ReLU, Leaky ReLU and GELU, seeds 0–1), below
    the authors' MLP; with the kernel-5 embedding, a ReLU run reached 0.96 at epoch 60 (seed 0, the same budget per
    epoch), above their CNN's 0.94."""
    import keras

    from .activations import activation_layer

    activation, alpha, seed = _checked(activation, alpha, seed)
    layers = check_int("depth", layers, low=1)
    width = check_int("width", width, low=1)
    heads = check_int("heads", heads, low=1)
    if width % heads:
        raise ValueError(f"width must be a multiple of heads (each head gets width / heads dimensions); got "
                         f"width={width}, heads={heads}")
    k = iter(range(1, 10_000))
    glorot = lambda: keras.initializers.GlorotUniform(seed=layer_seed(seed, next(k)))  # noqa: E731 - one per layer
    x = keras.Input(SIGNAL_SHAPE, name="signal")
    h = keras.layers.Conv1D(width, EMBED_KERNEL, padding="same", kernel_initializer=glorot(), name="embed")(x)
    h = _position_embedding_layer()(layer_seed(seed, next(k)), name="positions")(h)
    for i in range(1, layers + 1):
        a = keras.layers.LayerNormalization(name=f"ln_{i}a")(h)
        a = keras.layers.MultiHeadAttention(heads, width // heads, kernel_initializer=glorot(), name=f"attention_{i}",
                                            seed=layer_seed(seed, next(k)))(a, a)
        h = keras.layers.Add(name=f"add_{i}a")([h, a])
        f = keras.layers.LayerNormalization(name=f"ln_{i}b")(h)
        f = keras.layers.Dense(FEED_FORWARD_MULTIPLIER * width, kernel_initializer=glorot(), name=f"ff_{i}")(f)
        f = activation_layer(activation, alpha, layer_name=f"act_{i}", shared_axes=[1])(f)
        f = keras.layers.Dense(width, kernel_initializer=glorot(), name=f"ff_{i}_out")(f)
        h = keras.layers.Add(name=f"add_{i}b")([h, f])
    h = keras.layers.LayerNormalization(name="ln_final")(h)
    h = keras.layers.GlobalAveragePooling1D(name="pool")(h)
    out = keras.layers.Dense(N_CLASSES, activation="softmax", kernel_initializer=glorot(), name="classifier")(h)
    return keras.Model(x, out, name=f"transformer1d_{layers}x{width}h{heads}_{activation}")


def seed_cnn_bn(activation: str = "relu", alpha: float = DEFAULT_ALPHA, *, seed: int = 0, input_shape=(28, 28, 1)):
    """The seed article's CNN with BatchNorm after each convolution, before the activation: Conv2D(32,3) → BN → act →
    MaxPool(2) → Conv2D(64,3) → BN → act → MaxPool(2) → Flatten → Dense softmax. The convolutions have no bias (BN's
    shift replaces it); their kernels are `models.seed_cnn`'s for the same seed, and PReLU's slopes are per unit as
    there, so the two CNNs differ only in the normalisation."""
    import keras

    from .activations import activation_layer

    activation, alpha, seed = _checked(activation, alpha, seed)
    init = lambda k: keras.initializers.GlorotUniform(seed=layer_seed(seed, k))  # noqa: E731 - one per layer
    layers = [keras.Input(input_shape, name="image")]
    for i, filters in ((1, 32), (2, 64)):
        layers += [keras.layers.Conv2D(filters, 3, use_bias=False, kernel_initializer=init(i), name=f"conv{i}"),
                   keras.layers.BatchNormalization(name=f"bn{i}"),
                   activation_layer(activation, alpha, layer_name=f"act{i}"),
                   keras.layers.MaxPooling2D(2, name=f"pool{i}")]
    layers += [keras.layers.Flatten(name="flatten"),
               keras.layers.Dense(N_CLASSES, activation="softmax", kernel_initializer=init(3), name="classifier")]
    return keras.Sequential(layers, name=f"seed_cnn_bn_{activation}")


def mlp_blocks(depth: int, width: int, block: str = "residual", activation: str = "relu",
               alpha: float = DEFAULT_ALPHA, *, initializer: str = "he", seed: int = 0, input_shape=(28, 28, 1)):
    """A deep MLP of `depth` hidden layers of `width` units, each Dense(width) → [LayerNorm] → act, with a
    residual connection around every layer after the first (which changes the width from the input's) when `block`
    says so. Kernels and biases are drawn as `models.mlp` draws them (same initialiser, same seeds), so at equal
    depth and width the networks differ from Chapter 5's plain MLPs only in the block."""
    import keras

    from .activations import activation_layer
    from .models import mlp_initializers

    activation, alpha, seed = _checked(activation, alpha, seed)
    depth = check_int("depth", depth, low=1)
    width = check_int("width", width, low=1)
    check_choice("block", block, MLP_BLOCKS)
    x = keras.Input(input_shape, name="image")
    h = keras.layers.Flatten(name="flatten")(x)
    hidden, classifier = mlp_initializers(initializer, math.prod(input_shape), depth, width, alpha=alpha, seed=seed)
    for i, (kernel, biases) in enumerate(hidden, start=1):
        branch = keras.layers.Dense(width, kernel_initializer=kernel, bias_initializer=biases, name=f"dense_{i}")(h)
        if "layernorm" in block:
            branch = keras.layers.LayerNormalization(name=f"norm_{i}")(branch)
        branch = activation_layer(activation, alpha, layer_name=f"act_{i}")(branch)
        h = keras.layers.Add(name=f"add_{i}")([h, branch]) if "residual" in block and i > 1 else branch
    out = keras.layers.Dense(N_CLASSES, activation="softmax", name="classifier", kernel_initializer=classifier)(h)
    return keras.Model(x, out, name=f"mlp_blocks_{depth}x{width}_{block}_{activation}")
