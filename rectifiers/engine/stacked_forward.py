"""The forward pass of S stacked MLPs (`stacked.py`): each layer computed as its single-run Keras layer computes it.

The runs' variables come in their Keras model's order, stacked along a first axis of size S: per hidden layer
Dense kernel [S, fan_in, width] and bias [S, width], then LayerNorm's gamma and beta [S, width] (family
`mlp_blocks` with a "layernorm" block), then PReLU's slopes [S, width]; last the classifier's kernel and bias. The
plain MLP (`models.mlp`) is Dense → act per layer; `modern_models.mlp_blocks` is Dense → [LayerNorm] → act with
h + act(...) around every layer after the first when its block is residual.
"""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class Blocks:
    """What a stacked network's hidden layers hold: how many, LayerNorm or not, residual or not, PReLU or not."""

    depth: int
    layernorm: bool = False
    residual: bool = False
    prelu: bool = False
    epsilon: float = 1e-3  # LayerNorm's, read from the run's Keras model

    @classmethod
    def of(cls, config, model) -> Blocks:
        """The blocks of `config`'s network, whose Keras model (one run's) is `model`."""
        norms = [layer.epsilon for layer in model.layers if type(layer).__name__ == "LayerNormalization"]
        block = config.block if config.model == "mlp_blocks" else ""
        return cls(depth=config.depth, layernorm="layernorm" in block, residual="residual" in block,
                   prelu=config.activation == "prelu", **({"epsilon": norms[0]} if norms else {}))


def layer_norm(z, gamma, beta, epsilon: float):
    """Keras' LayerNormalization over the last axis of z [S, batch, width] with per-run gamma and beta [S, width],
    in the order Keras computes it on TensorFlow (`ops.nn._layer_normalization`): tf.nn.moments, then
    x·inv + (beta − mean·inv) with inv = rsqrt(variance + ε)·gamma."""
    import tensorflow as tf

    mean, variance = tf.nn.moments(z, axes=[2], keepdims=True)
    inv = tf.math.rsqrt(variance + epsilon) * gamma[:, None, :]
    return z * inv + (-mean * inv + beta[:, None, :])


def logits(variables, x, blocks: Blocks, slope, *, shared_input: bool):
    """The logits [S, batch, 10] of S stacked networks on x: [batch, pixels] shared by all (`shared_input`), or
    [S, batch, pixels], each run its own batch. `slope` [S]: each run's fixed negative slope (ReLU 0), unused for
    PReLU, whose slopes are weights."""
    import tensorflow as tf

    h, i = x, 0
    for layer in range(blocks.depth + 1):
        kernel, bias = variables[i], variables[i + 1]
        z = tf.einsum("bi,sio->sbo" if shared_input and layer == 0 else "sbi,sio->sbo", h, kernel)
        z = z + bias[:, None, :]
        i += 2
        if layer == blocks.depth:
            return z
        if blocks.layernorm:
            z = layer_norm(z, variables[i], variables[i + 1], blocks.epsilon)
            i += 2
        if blocks.prelu:  # as Keras' PReLU: relu(z) - a * relu(-z)
            a = tf.nn.relu(z) - variables[i][:, None, :] * tf.nn.relu(-z)
            i += 1
        else:  # ReLU is the slope 0; both as TensorFlow's LeakyRelu, gradient 1 where z > 0, the slope elsewhere
            a = tf.where(z > 0, z, slope[:, None, None] * z)
        h = h + a if blocks.residual and layer > 0 else a
    raise AssertionError("unreachable")
