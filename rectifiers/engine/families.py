"""Model families a run can train, each naming its shape options and the trainer that trains it.

A family is a builder of Keras models plus the options that shape it (depth, width, initialiser, ...) and the
name of its trainer (`trainers.TRAINERS`). A new kind of network that trains like a classifier is a new family;
a network with its own training step (a GAN's generator/discriminator pair) is a new family *and* a new
trainer. Such a plug-in registers both from its own module, which `engine/__init__` imports; the engine, the store,
the studies and the executors stay as they are, and this registry never imports it. `gan.py` does:

    FAMILIES["dcgan"] = Family("dcgan", trainer="gan", build=_build_dcgan, tag="dcgan", constants=CONSTANTS, ...)
    TRAINERS["gan"] = GANTrainer  # a `trainers.Trainer` with its own fit_epoch / evaluate / checkpoint variables

`constants` are a family's fixed settings (latent size, the judge of its samples): they enter every run's
experiment, so changing one gives new keys instead of mixing results.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..modern_models import EMBED_KERNEL, FEED_FORWARD_MULTIPLIER, MLP_BLOCKS  # constants: Keras loads when building
from ..validation import check_choice, check_finite, check_int

IMAGE_DATASETS = ("mnist", "fashion_mnist")
SIGNAL_DATASETS = ("mnist1d",)


@dataclass(frozen=True)
class Family:
    """A model family: its name, its trainer, its shape options with their defaults, and its builder."""

    name: str
    trainer: str
    options: dict = field(default_factory=dict)  # option name -> default
    build: Callable | None = None  # build(config) -> an uncompiled keras.Model (imports Keras itself)
    takes_dropout: bool = False
    summary: str = ""
    # The family's shape in run keys, formatted with its options ("mlp{depth}x{width}"; "" for the seed CNN, so its
    # keys stay as they were), and in labels (the key's tag when empty).
    tag: str = ""
    title: str = ""
    constants: dict = field(default_factory=dict)  # fixed settings of the family that enter every run's experiment
    datasets: tuple[str, ...] = IMAGE_DATASETS  # the datasets its networks take as input
    check_shape: Callable[[dict], None] | None = None  # a check across options (e.g. width a multiple of heads)

    def check_options(self, config) -> dict:
        """The config's shape options with defaults filled in and checked; other families' options refused."""
        if config.dataset not in self.datasets:
            raise ValueError(f"model {self.name!r} takes the dataset(s) {', '.join(map(repr, self.datasets))}; "
                             f"got dataset={config.dataset!r}")
        out = {}
        for name in _ALL_OPTIONS:
            value = getattr(config, name)
            if name not in self.options:
                if value is not None:
                    raise ValueError(f"{name} does not apply to model {self.name!r} (its options: "
                                     f"{', '.join(self.options) or 'none'}); got {name}={value!r}")
                continue
            out[name] = _CHECKS[name](self.options[name] if value is None else value)
        if config.dropout and not self.takes_dropout:
            raise ValueError(f"dropout does not apply to model {self.name!r}; got dropout={config.dropout!r}")
        if self.check_shape is not None:
            self.check_shape(out)
        return out

    def key_part(self, config) -> str:
        """The shape in a run key ('' for the seed CNN, so its keys stay as they were)."""
        return self.tag.format(**{name: getattr(config, name) for name in self.options})

    def describe(self, config) -> str:
        return (self.title or self.tag).format(**{name: getattr(config, name) for name in self.options})


def _build_seed_cnn(config):
    from ..models import seed_cnn

    return seed_cnn(config.activation, config.alpha, seed=config.seed, dropout=config.dropout)


def _build_mlp(config):
    from ..models import mlp

    return mlp(config.depth, config.width, config.activation, config.alpha, initializer=config.initializer,
               init_scale=config.init_scale, bias=config.bias, seed=config.seed)


def _modern(name: str, *options: str):
    """A builder calling `modern_models.<name>` with the config's options (positionally), activation, α and seed."""

    def build(config):
        from .. import modern_models

        shape = [getattr(config, option) for option in options]
        return getattr(modern_models, name)(*shape, config.activation, config.alpha, seed=config.seed)

    return build


def _build_mlp_blocks(config):
    from ..modern_models import mlp_blocks

    return mlp_blocks(config.depth, config.width, config.block, config.activation, config.alpha,
                      initializer=config.initializer, seed=config.seed)


def _heads_divide_width(options: dict) -> None:
    if options["width"] % options["heads"]:
        raise ValueError(f"width must be a multiple of heads (each head gets width / heads dimensions); got "
                         f"width={options['width']}, heads={options['heads']}")


def _check_initializer(value):
    from ..models import INITIALIZERS  # models imports Keras only when it builds

    return check_choice("initializer", value, INITIALIZERS)


_CHECKS = {
    "depth": lambda v: check_int("depth", v, low=1),
    "width": lambda v: check_int("width", v, low=1),
    "initializer": _check_initializer,
    "init_scale": lambda v: check_finite("init_scale", v, low=0.0),
    "bias": lambda v: check_finite("bias", v),
    "heads": lambda v: check_int("heads", v, low=1),
    "block": lambda v: check_choice("block", v, MLP_BLOCKS),
}
_ALL_OPTIONS = tuple(_CHECKS)


FAMILIES: dict[str, Family] = {
    "seed_cnn": Family("seed_cnn", trainer="classifier", build=_build_seed_cnn, takes_dropout=True,
                       summary="the seed article's CNN: Conv(32)-Pool-Conv(64)-Pool-Dense softmax"),
    "mlp": Family("mlp", trainer="classifier", build=_build_mlp,
                  options={"depth": 3, "width": 64, "initializer": "he", "init_scale": 1.0, "bias": 0.0},
                  tag="mlp{depth}x{width}", title="MLP {depth}×{width} ({initializer} init)",
                  summary="Flatten → depth × (Dense(width) → activation) → Dense softmax (Chapters 2–3)"),
    "seed_cnn_bn": Family("seed_cnn_bn", trainer="classifier", build=_modern("seed_cnn_bn"), tag="bncnn",
                          title="seed CNN with BatchNorm",
                          summary="the seed CNN with BatchNorm after each convolution, before the activation (Ch. 8)"),
    "mlp_blocks": Family("mlp_blocks", trainer="classifier", build=_build_mlp_blocks,
                         options={"depth": 3, "width": 64, "block": "residual", "initializer": "he"},
                         tag="mlp{depth}x{width}-{block}", title="MLP {depth}×{width} with {block} blocks",
                         summary="Chapter 5's deep MLP with residual connections and/or LayerNorm (Ch. 8)"),
    "mnist1d_mlp": Family("mnist1d_mlp", trainer="classifier", build=_modern("mnist1d_mlp", "width"),
                          options={"width": 100}, tag="mlp{width}", title="MLP 40-{width}-{width}-10",
                          datasets=SIGNAL_DATASETS, constants={"reference": "MLPBase of Greydanus & Kobak"},
                          summary="MNIST-1D's reference MLP: two hidden layers, a residual connection around the second"),
    "mnist1d_cnn": Family("mnist1d_cnn", trainer="classifier", build=_modern("mnist1d_cnn", "width"),
                          options={"width": 25}, tag="cnn{width}", title="CNN 3×Conv1D({width})",
                          datasets=SIGNAL_DATASETS, constants={"reference": "ConvBase of Greydanus & Kobak"},
                          summary="MNIST-1D's reference CNN: three strided 1-D convolutions, Dense softmax"),
    "resnet1d": Family("resnet1d", trainer="classifier", build=_modern("resnet1d", "depth", "width"),
                       options={"depth": 3, "width": 32}, tag="resnet{depth}x{width}",
                       title="ResNet-1D, {depth} blocks × {width} channels", datasets=SIGNAL_DATASETS,
                       constants={"kernels": [5, 3], "normalisation": "batch", "pooling": "global average",
                                  "prelu_slopes": "one per channel"},
                       summary="a 1-D ResNet: stem conv, depth basic blocks with BatchNorm, global average pooling"),
    "transformer1d": Family("transformer1d", trainer="classifier",
                            build=_modern("transformer1d", "depth", "width", "heads"),
                            options={"depth": 2, "width": 32, "heads": 4}, tag="transformer{depth}x{width}h{heads}",
                            title="transformer, {depth} pre-LN layers, width {width}, {heads} heads",
                            datasets=SIGNAL_DATASETS, check_shape=_heads_divide_width,
                            constants={"feed_forward_multiplier": FEED_FORWARD_MULTIPLIER, "normalisation": "pre-layer",
                                       "positions": "learned", "pooling": "mean", "prelu_slopes": "one per channel",
                                       "embedding": f"conv1d, kernel {EMBED_KERNEL}, stride 1"},
                            summary="a pre-LayerNorm transformer encoder over the 40 positions (a convolutional "
                                    "embedding); activation in its feed-forward block"),
}
"""Model families by name (`RunConfig.model`); plug-ins such as the GAN (`gan.py`) add theirs."""


def family(name: str) -> Family:
    check_choice("model", name, FAMILIES)
    return FAMILIES[name]
