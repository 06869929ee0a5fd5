"""The networks of the book: the seed article's CNN and a plain MLP of configurable depth."""

from __future__ import annotations

import math

import numpy as np

from .names import DEFAULT_ALPHA, check_activation
from .validation import check_choice, check_finite, check_int

# Keras (and with it TensorFlow) is imported by the functions that build, so that the list of initialisers and
# the run configs that check against it load in a fraction of a second.

INITIALIZERS = ("he", "glorot", "he_leaky", "lecun", "scaled_normal", "rai")
"""Weight initialisations: He (2/fan_in), Glorot (2/(fan_in+fan_out)), He for a leaky unit of slope α
(2/((1+α²)·fan_in)), LeCun (1/fan_in), `scaled_normal` = He's variance times `init_scale`², and `rai`, Lu et al.'s
randomized asymmetric initialisation of a layer's weights *and* biases (`rai_entries`)."""


def customary_initializer(activation: str) -> str:
    """The initialisation usually paired with an activation: Glorot for sigmoid/tanh, He (leaky) for rectifiers."""
    check_activation(activation)
    if activation in ("sigmoid", "tanh"):
        return "glorot"
    if activation in ("leaky_relu", "prelu"):
        return "he_leaky"
    return "he"


RAI_SIGMA = 0.6007
"""σ of the symmetric part of RAI, and Beta(2, 1) its positive entry: the values Lu et al. (2019) recommend."""


def layer_seed(seed: int, layer: int) -> int:
    """The random seed of a network's `layer`-th initialiser (counted from 1): a network's weights depend only on its
    random seed and the layer, never on the activation, so networks built with the same seed are paired."""
    return seed * 1000 + layer


def mlp_initializers(initializer: str, fan_in: int, depth: int, width: int, *, alpha: float = DEFAULT_ALPHA,
                     scale: float = 1.0, bias: float = 0.0, seed: int = 0):
    """An `mlp`'s initialisers: (kernel, bias) of each of its `depth` hidden layers, and its classifier's kernel."""
    import keras

    hidden = []
    for i in range(1, depth + 1):
        hidden.append(layer_initializers(initializer, fan_in, width, alpha=alpha, scale=scale, bias=bias,
                                         seed=layer_seed(seed, i)))
        fan_in = width
    return hidden, keras.initializers.GlorotUniform(seed=layer_seed(seed, depth + 1))


def rai_entries(rng: np.random.Generator, n: int, fan_in: int, width: int, *, asymmetric: bool = True) -> np.ndarray:
    """Weights and biases of one layer in `n` networks, shape (n, fan_in + 1, width), the bias last.

    Every entry is drawn from N(0, RAI_SIGMA²/fan_in); with `asymmetric` (RAI) one entry of each unit's column,
    chosen uniformly, is then replaced by a Beta(2, 1) draw, which is positive. Chapter 3's Monte Carlo and the
    `rai` initialiser of `mlp` both draw here, in this order, so the same generator gives the same layer.
    """
    entries = rng.standard_normal((n, fan_in + 1, width)) * (RAI_SIGMA / math.sqrt(fan_in))
    if asymmetric:
        chosen = rng.integers(0, fan_in + 1, size=(n, width))
        entries[np.arange(n)[:, None], chosen, np.arange(width)[None, :]] = rng.beta(2.0, 1.0, size=(n, width))
    return entries


def layer_initializers(name: str, fan_in: int, width: int, *, alpha: float = DEFAULT_ALPHA, scale: float = 1.0,
                       bias: float = 0.0, seed: int = 0):
    """Keras initialisers (kernel, bias) of a hidden Dense layer of `mlp`.

    `rai` draws the kernel and the biases together from `default_rng(seed)` (`scale` multiplies RAI_SIGMA, and a
    constant `bias` cannot be combined with it); every other name is `kernel_initializer` with constant biases.
    """
    import keras

    check_choice("initializer", name, INITIALIZERS)
    if name != "rai":
        kernel = kernel_initializer(name, alpha=alpha, scale=scale, seed=seed)
        return kernel, keras.initializers.Constant(check_finite("bias", bias))
    scale = check_finite("init_scale", scale, low=0.0)
    if check_finite("bias", bias) != 0.0:
        raise ValueError(f"bias must be 0 with initializer 'rai' (RAI draws the biases), got {bias!r}")
    entries = scale * rai_entries(np.random.default_rng(seed), 1, fan_in, width)[0]
    return _Fixed(entries[:fan_in]), _Fixed(entries[fan_in])


class _Fixed:
    """A Keras initialiser that returns given values (of exactly the requested shape)."""

    def __init__(self, values: np.ndarray):
        self.values = np.asarray(values, dtype=np.float32)

    def __call__(self, shape, dtype=None):
        import keras

        if tuple(shape) != self.values.shape:
            raise ValueError(f"initial values have shape {self.values.shape}, the layer asked for {tuple(shape)}")
        return keras.ops.convert_to_tensor(self.values, dtype=dtype or "float32")

    def get_config(self) -> dict:
        return {"values": self.values.tolist()}


def kernel_initializer(name: str, *, alpha: float = DEFAULT_ALPHA, scale: float = 1.0, seed: int | None = None):
    """A Keras initializer by name; `scale` multiplies the standard deviation (1 leaves it as the name says)."""
    import keras

    check_choice("initializer", name, INITIALIZERS)
    if name == "rai":
        raise ValueError("initializer 'rai' draws a layer's weights and biases together: use layer_initializers")
    alpha = check_finite("alpha", alpha)
    scale = check_finite("init_scale", scale, low=0.0)
    if name == "glorot":
        return keras.initializers.VarianceScaling(scale**2, "fan_avg", "truncated_normal", seed=seed)
    if name == "lecun":
        return keras.initializers.VarianceScaling(scale**2, "fan_in", "truncated_normal", seed=seed)
    if name == "he_leaky":
        return keras.initializers.VarianceScaling(2.0 * scale**2 / (1 + alpha**2), "fan_in", "truncated_normal", seed=seed)
    return keras.initializers.VarianceScaling(2.0 * scale**2, "fan_in", "truncated_normal", seed=seed)


def seed_cnn(
    activation: str = "relu",
    alpha: float = DEFAULT_ALPHA,
    *,
    seed: int = 0,
    dropout: float = 0.0,
    input_shape=(28, 28, 1),
    n_classes: int = 10,
) -> keras.Model:
    """The seed article's CNN: Conv2D(32,3) → MaxPool(2) → Conv2D(64,3) → MaxPool(2) → Flatten → Dense softmax.

    Weights depend only on `seed`, never on the activation, so a ReLU and a Leaky ReLU model built with the same
    seed start from identical weights and their comparison is paired. PReLU's slopes are extra weights.
    """
    import keras

    from .activations import activation_layer

    activation, alpha = check_activation(activation, alpha)
    dropout = check_finite("dropout", dropout, low=0.0, high=0.99)
    seed = check_int("seed", seed, low=0)
    init = lambda k: keras.initializers.GlorotUniform(seed=layer_seed(seed, k))  # noqa: E731 - one per layer
    layers = [
        keras.Input(input_shape, name="image"),
        keras.layers.Conv2D(32, 3, kernel_initializer=init(1), name="conv1"),
        activation_layer(activation, alpha, layer_name="act1"),
        keras.layers.MaxPooling2D(2, name="pool1"),
        keras.layers.Conv2D(64, 3, kernel_initializer=init(2), name="conv2"),
        activation_layer(activation, alpha, layer_name="act2"),
        keras.layers.MaxPooling2D(2, name="pool2"),
        keras.layers.Flatten(name="flatten"),
    ]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout, seed=seed, name="dropout"))
    layers.append(keras.layers.Dense(n_classes, activation="softmax", kernel_initializer=init(3), name="classifier"))
    return keras.Sequential(layers, name=f"seed_cnn_{activation}")


def mlp(
    depth: int,
    width: int,
    activation: str = "relu",
    alpha: float = DEFAULT_ALPHA,
    *,
    initializer: str = "he",
    init_scale: float = 1.0,
    bias: float = 0.0,
    seed: int = 0,
    input_shape=(28, 28, 1),
    n_classes: int = 10,
) -> keras.Model:
    """A fully connected network: Flatten → `depth` × (Dense(`width`) → activation) → Dense softmax.

    Hidden Dense layers are named `dense_1` … `dense_{depth}` and their activations `act_1` … so probes can find
    them. Biases start at `bias` (0 by default), except under `rai`, which draws them with the weights. Weights depend on `seed` and the initialiser, not the activation.
    """
    import keras

    from .activations import activation_layer

    depth = check_int("depth", depth, low=1)
    width = check_int("width", width, low=1)
    activation, alpha = check_activation(activation, alpha)
    seed = check_int("seed", seed, low=0)
    bias = check_finite("bias", bias)
    layers = [keras.Input(input_shape, name="image"), keras.layers.Flatten(name="flatten")]
    hidden, classifier = mlp_initializers(initializer, math.prod(input_shape), depth, width, alpha=alpha,
                                          scale=init_scale, bias=bias, seed=seed)
    for i, (kernel, biases) in enumerate(hidden, start=1):
        layers += [
            keras.layers.Dense(width, kernel_initializer=kernel, bias_initializer=biases, name=f"dense_{i}"),
            activation_layer(activation, alpha, layer_name=f"act_{i}"),
        ]
    layers.append(
        keras.layers.Dense(
            n_classes,
            activation="softmax",
            kernel_initializer=classifier,
            name="classifier",
        )
    )
    return keras.Sequential(layers, name=f"mlp_{depth}x{width}_{activation}")


def parameter_count(model: keras.Model) -> int:
    """Number of weights of a model (trainable and not)."""
    return int(sum(math.prod(w.shape) for w in model.weights))


def exact_zero_fraction(images, *, seed: int = 0, layer: str = "conv1") -> float:
    """Fraction of the seed CNN's pre-activations at `layer` that are exactly 0 at initialisation.

    Biases start at 0 and MNIST's background pixels are exactly 0, so a filter over a blank patch outputs
    exactly 0: the one input where ReLU's and Leaky ReLU's autodiff conventions decide the gradient.
    Weights depend only on `seed` (`seed_cnn`), so the count is the same for every activation.
    """
    import keras

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1) or len(images) == 0:
        raise ValueError(f"images must be an array of shape (n, 28, 28, 1) with n >= 1; got shape {images.shape}")
    model = seed_cnn("relu", seed=seed)
    check_choice("layer", layer, [lyr.name for lyr in model.layers])
    probe = keras.Model(model.inputs[0], model.get_layer(layer).output)
    outputs = keras.ops.convert_to_numpy(probe(images))
    return float(np.mean(outputs == 0.0))
