"""Model families a run can train, each naming its shape options and the trainer that trains it.

A family is a builder of Keras models plus the options that shape it (depth, width, initialiser, ...) and the
name of its trainer (`trainers.TRAINERS`). A new kind of network that trains like a classifier is a new family;
a network with its own training step (a GAN's generator/discriminator pair) is a new family *and* a new
trainer: register both, and the engine, the store, the studies and the executors stay as they are:

    FAMILIES["dcgan"] = Family("dcgan", trainer="gan", build=build_dcgan, tag="dcgan", constants=gan.CONSTANTS)
    TRAINERS["gan"] = GANTrainer  # a `trainers.Trainer` with its own fit_epoch / evaluate / checkpoint variables

(as this module and `gan.py` do). `constants` are a family's fixed settings (latent size, the judge of its samples):
they enter every run's experiment, so changing one gives new keys instead of mixing results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..validation import check_choice, check_finite, check_int


@dataclass(frozen=True)
class Family:
    """A model family: its name, its trainer, its shape options with their defaults, and its builder."""

    name: str
    trainer: str
    options: dict = field(default_factory=dict)  # option name -> default
    build: Callable | None = None  # build(config) -> an uncompiled keras.Model (imports Keras itself)
    takes_dropout: bool = False
    summary: str = ""
    tag: str = ""  # the family in run keys and labels ("" for the seed CNN, so its keys stay as they were)
    constants: dict = field(default_factory=dict)  # fixed settings of the family that enter every run's experiment

    def check_options(self, config) -> dict:
        """The config's shape options with defaults filled in and checked; other families' options refused."""
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
        return out

    def key_part(self, config) -> str:
        """The shape in a run key ('' for the seed CNN, so its keys stay as they were)."""
        return f"{self.name}{config.depth}x{config.width}" if self.name == "mlp" else self.tag

    def describe(self, config) -> str:
        return f"MLP {config.depth}×{config.width} ({config.initializer} init)" if self.name == "mlp" else self.tag


def _build_seed_cnn(config):
    from ..models import seed_cnn

    return seed_cnn(config.activation, config.alpha, seed=config.seed, dropout=config.dropout)


def _build_mlp(config):
    from ..models import mlp

    return mlp(config.depth, config.width, config.activation, config.alpha, initializer=config.initializer,
               init_scale=config.init_scale, bias=config.bias, seed=config.seed)


def _build_dcgan(config):
    from .gan import build_dcgan

    return build_dcgan(config)


def _check_initializer(value):
    from ..models import INITIALIZERS  # models imports Keras only when it builds

    return check_choice("initializer", value, INITIALIZERS)


_CHECKS = {
    "depth": lambda v: check_int("depth", v, low=1),
    "width": lambda v: check_int("width", v, low=1),
    "initializer": _check_initializer,
    "init_scale": lambda v: check_finite("init_scale", v, low=0.0),
    "bias": lambda v: check_finite("bias", v),
}
_ALL_OPTIONS = tuple(_CHECKS)


def _gan_constants() -> dict:
    from .gan import CONSTANTS  # imports nothing heavy

    return CONSTANTS


FAMILIES: dict[str, Family] = {
    "seed_cnn": Family("seed_cnn", trainer="classifier", build=_build_seed_cnn, takes_dropout=True,
                       summary="the seed article's CNN: Conv(32)-Pool-Conv(64)-Pool-Dense softmax"),
    "mlp": Family("mlp", trainer="classifier", build=_build_mlp,
                  options={"depth": 3, "width": 64, "initializer": "he", "init_scale": 1.0, "bias": 0.0},
                  summary="Flatten → depth × (Dense(width) → activation) → Dense softmax (Chapters 2–3)"),
    "dcgan": Family("dcgan", trainer="gan", build=_build_dcgan, tag="dcgan", constants=_gan_constants(),
                    summary="a small DCGAN pair (Chapter 5): ReLU generator; the run's activation in the discriminator"),
}
"""Model families by name (`RunConfig.model`)."""


def family(name: str) -> Family:
    check_choice("model", name, FAMILIES)
    return FAMILIES[name]
