"""A run's frozen, validated config, the experiment it defines, and the run's key.

`RunConfig` names one training run: model family and its shape, data and subset, activation and α,
initialiser, optimiser (with AdamW's weight decay) and learning rate (constant, or a warm-up and cosine decay
`schedule`), batch, seed, snapshot epochs, probes. Fields split in two:

- the *experiment* (`experiment(config, data)`): what defines the training trajectory and what is recorded
  about it; its SHA-256 is the run's key, so a run is never trained twice;
- the *recording* (`RECORDING_FIELDS`): how often to checkpoint and evaluate; changes speed, not results.

Nothing here imports Keras: configs are checked (and studies planned) in a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from ..data import Dataset, dataset_names, load_dataset
from ..validation import check_choice, check_finite, check_increasing_ints, check_int
from .families import FAMILIES, family
from .stacking import check_stackable
from ..names import DEFAULT_ALPHA, SLOPED, check_activation

DEFAULT_EPOCHS = (1, 10, 100, 1000)
"""The seed article's epoch counts; one run evaluated at each gives the same curves as four runs."""

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
MAX_SEED = 2**32 - 1
"""The largest seed Keras' `set_random_seed` (NumPy's legacy RNG) accepts."""
SCHEDULES = ("constant", "warmup_cosine")
"""Learning-rate schedules: the rate as given, or a linear warm-up from 0 over `warmup_epochs` to the rate and then
a cosine decay to 0 at the end of the last snapshot epoch (`optimizers.learning_rate_schedule`)."""
DEFAULT_WEIGHT_DECAY = 0.01
"""AdamW's decoupled weight decay when a run names none: PyTorch's default (Keras' is 0.004), said in the key."""
RECORDING_FIELDS = ("checkpoint_every", "test_every", "eval_batch_size", "keep_weights")
KEEP_WEIGHTS = ("all", "final", "none")
"""What a run keeps on disk once it has ended (`RunConfig.keep_weights`)."""

# Keyed for every run, in this order since the first stored runs (their keys must not change).
_KEY_FIELDS = ("model", "dataset", "n_train", "n_test", "data_seed", "activation", "alpha", "seed", "epochs",
               "batch_size", "optimizer", "learning_rate", "dropout")


@dataclass(frozen=True)
class RunConfig:
    """One training run. The last three fields only say how the run is recorded, not what it computes."""

    dataset: str = "mnist"
    activation: str = "relu"
    alpha: float = DEFAULT_ALPHA  # negative slope of leaky_relu / initial slope of prelu; ignored by the others
    seed: int = 0  # initial weights and the order of the training images
    epochs: tuple[int, ...] = DEFAULT_EPOCHS  # snapshot epochs; the run trains to the last one
    n_train: int | None = None  # None: every training image available
    n_test: int | None = None  # None: the whole test set
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    dropout: float = 0.0
    weight_decay: float | None = None  # AdamW's decoupled weight decay (None: DEFAULT_WEIGHT_DECAY); AdamW only
    schedule: str = "constant"  # or "warmup_cosine" (SCHEDULES), which needs n_train and warmup_epochs
    warmup_epochs: int | None = None  # epochs of linear warm-up of "warmup_cosine"
    data_seed: int = 0  # which stratified subset when n_train / n_test are given
    model: str = "seed_cnn"  # a model family of `families.FAMILIES`
    # The family's shape (None: the family's default; an option the family does not have must stay None):
    depth: int | None = None
    width: int | None = None
    initializer: str | None = None
    init_scale: float | None = None
    bias: float | None = None
    heads: int | None = None  # attention heads of a transformer
    block: str | None = None  # the block of a deep MLP with residual connections and/or LayerNorm
    probes: tuple[str, ...] = ()  # names in `rectifiers.probes.PROBES`, recorded into the run
    probe_every: int = 1  # epochs between probe measurements (and always epoch 0 and each snapshot epoch)
    # Trained together with the runs of its group as one stacked program (`stacked.py`): results equal a single
    # run's to float32 rounding, not bit for bit, so it is keyed (a different run from the unstacked one).
    stacked: bool = False
    # How the run is recorded (not part of its key):
    checkpoint_every: int = 1  # epochs between checkpoints (snapshot epochs and the last epoch always get one)
    test_every: int = 1  # evaluate the test set after every `test_every` epochs for the history (0: never)
    eval_batch_size: int = 500  # evaluation only: changes speed, and losses in the 7th digit (float32 sums)
    # Weights kept once the run has ended (complete or diverged): "all" keeps the resumable checkpoint and the
    # weights of every snapshot epoch; "final" only the last snapshot's weights; "none" no weights at all (for
    # studies of hundreds of small runs whose records are all a chapter reads). A partial run always keeps its
    # checkpoint, so it can resume.
    keep_weights: str = "all"

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 - frozen dataclass
        check_choice("dataset", self.dataset, dataset_names())
        check_choice("model", self.model, FAMILIES)
        _, alpha = check_activation(self.activation, self.alpha)
        set_("alpha", alpha)
        set_("seed", check_int("seed", self.seed, low=0, high=MAX_SEED))
        set_("epochs", check_increasing_ints("epochs", list(self.epochs) if isinstance(self.epochs, tuple)
                                             else self.epochs, low=1))
        for name in ("n_train", "n_test"):
            if getattr(self, name) is not None:
                set_(name, check_int(name, getattr(self, name), low=1))
        set_("batch_size", check_int("batch_size", self.batch_size, low=1))
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        lr = check_finite("learning_rate", self.learning_rate)
        if lr <= 0:
            raise ValueError(f"learning_rate must be a finite real number > 0; got {self.learning_rate!r}")
        set_("learning_rate", lr)
        set_("dropout", check_finite("dropout", self.dropout, low=0.0, high=0.99))
        _check_optimizer_settings(self, set_)
        set_("data_seed", check_int("data_seed", self.data_seed, low=0))
        for name, value in family(self.model).check_options(self).items():
            set_(name, value)
        set_("probes", _check_probes(self.probes))
        set_("probe_every", check_int("probe_every", self.probe_every, low=1))
        if not isinstance(self.stacked, bool):
            raise ValueError(f"stacked must be true or false; got {self.stacked!r}")
        if self.stacked:
            check_stackable(self)
        set_("checkpoint_every", check_int("checkpoint_every", self.checkpoint_every, low=1))
        set_("test_every", check_int("test_every", self.test_every, low=0))
        set_("eval_batch_size", check_int("eval_batch_size", self.eval_batch_size, low=1))
        check_choice("keep_weights", self.keep_weights, KEEP_WEIGHTS)

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1]

    @property
    def trainer(self) -> str:
        """The name of the trainer that trains this model family (`trainers.TRAINERS`)."""
        return family(self.model).trainer

    def to_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        """A config from a dict (a stored run's `config`, a YAML entry); unknown names are errors."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown run setting(s) {', '.join(map(repr, unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        values = {k: tuple(v) if k in ("epochs", "probes") and isinstance(v, list) else v for k, v in values.items()}
        return cls(**values)

    def label(self) -> str:
        alpha = f" α={self.alpha:g}" if self.activation in SLOPED else ""
        shape = family(self.model).describe(self)
        return f"{self.dataset} {shape}{' ' if shape else ''}{self.activation}{alpha} seed {self.seed}"


def _check_optimizer_settings(config: RunConfig, set_) -> None:
    """AdamW's weight decay and the schedule: checked, defaults filled in, refused where they do not apply."""
    if config.optimizer == "adamw":
        decay = DEFAULT_WEIGHT_DECAY if config.weight_decay is None else config.weight_decay
        set_("weight_decay", check_finite("weight_decay", decay, low=0.0))
    elif config.weight_decay is not None:
        raise ValueError(f"weight_decay applies to optimizer 'adamw' only; got weight_decay={config.weight_decay!r} "
                         f"with optimizer {config.optimizer!r}")
    check_choice("schedule", config.schedule, SCHEDULES)
    if config.schedule == "constant":
        if config.warmup_epochs is not None:
            raise ValueError(f"warmup_epochs applies to schedule 'warmup_cosine' only; got "
                             f"warmup_epochs={config.warmup_epochs!r} with schedule 'constant'")
    else:
        if config.warmup_epochs is None:
            raise ValueError("schedule 'warmup_cosine' needs warmup_epochs, an integer from 0 to below the last "
                             f"epoch ({config.last_epoch})")
        set_("warmup_epochs", check_int("warmup_epochs", config.warmup_epochs, low=0, high=config.last_epoch - 1))
        if config.n_train is None:
            raise ValueError("schedule 'warmup_cosine' needs n_train (its length in steps is the last epoch times "
                             "ceil(n_train / batch_size)); got n_train=None")
    if (config.optimizer == "adamw" or config.schedule != "constant") and family(config.model).trainer != "classifier":
        raise ValueError(f"optimizer 'adamw' and schedules apply to the classifier families; model "
                         f"{config.model!r} is trained by its own trainer ({family(config.model).trainer!r})")


def _check_probes(names) -> tuple[str, ...]:
    from ..probes import PROBES  # the registry imports nothing heavy

    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise ValueError(f"probes must be a list of probe names ({', '.join(sorted(PROBES))}); got {names!r}")
    for i, name in enumerate(names):
        check_choice(f"probes[{i}]", name, sorted(PROBES))
    if len(set(names)) != len(names):
        raise ValueError(f"probes lists a probe twice: {list(names)!r}")
    return tuple(names)


def experiment(config: RunConfig, data: Dataset) -> dict:
    """What defines a run's training trajectory and its record: the keyed fields and the data actually used.

    Fields added since the first stored runs (a family's shape, probes, AdamW's weight decay, a schedule, a generated
    dataset's arguments) enter only when they apply, so the stored runs keep their keys.
    """
    out = experiment_settings(config)
    out["n_train"], out["n_test"] = len(data.y_train), len(data.y_test)
    out["train_pool"] = {"is_sample": data.is_sample, "n_images": data.train_source.n_images}
    out["test_pool"] = {"is_sample": data.test_source.is_sample, "n_images": data.test_source.n_images}
    if data.generation:
        out["data_generation"] = data.generation  # a generated dataset (MNIST-1D): how it was made
    return out


def experiment_settings(config: RunConfig) -> dict:
    """The experiment's fields that the config alone sets (`n_train`/`n_test` as asked: None for all)."""
    out = {name: getattr(config, name) for name in _KEY_FIELDS}
    out["epochs"] = list(config.epochs)
    if config.activation not in SLOPED:
        out["alpha"] = None  # so a ReLU run is one run whatever α a study grid lists
    out.update({name: getattr(config, name) for name in family(config.model).options})
    if family(config.model).constants:
        out["family_constants"] = family(config.model).constants
    if config.optimizer == "adamw":
        out["weight_decay"] = config.weight_decay
    if config.schedule != "constant":
        out["schedule"], out["warmup_epochs"] = config.schedule, config.warmup_epochs
    if config.probes:
        out["probes"], out["probe_every"] = list(config.probes), config.probe_every
    if config.stacked:
        out["trainer"] = "stacked"  # only when stacked: the keys of runs trained alone stay as they were
    return out


def key_problem(record: dict) -> str | None:
    """Why a stored record's key does not name its content, or None: the key's hex must be the SHA-256 of its
    `experiment`, the experiment must be its `config`'s, and the key's readable part that config's."""
    config = RunConfig.from_dict(record["config"])
    exp, key = record["experiment"], record["key"]
    digest = hashlib.sha256(json.dumps(exp, sort_keys=True).encode()).hexdigest()[:12]
    if not isinstance(key, str) or not key.endswith(f"-{digest}"):
        return f"key {key!r} does not end in -{digest}, the hash of the record's experiment"
    for name, value in experiment_settings(config).items():
        if name in ("n_train", "n_test") and value is None:
            continue  # None asks for every image; the experiment holds how many that was
        if exp.get(name) != value:
            return f"experiment.{name} is {exp.get(name)!r} but config.{name} is {value!r}"
    alpha = f"-a{config.alpha:g}" if config.activation in SLOPED else ""
    shape = family(config.model).key_part(config)
    readable = f"{config.dataset}-{shape + '-' if shape else ''}{config.activation}{alpha}-s{config.seed}"
    if key != f"{readable}-{digest}":
        return f"key {key!r} does not name its config ({readable}-…)"
    return None


def run_key(config: RunConfig, data: Dataset) -> str:
    """`<dataset>-[<family shape>-]<activation>[-a<alpha>]-s<seed>-<12 hex of SHA-256 of the experiment>`."""
    exp = experiment(config, data)
    digest = hashlib.sha256(json.dumps(exp, sort_keys=True).encode()).hexdigest()[:12]
    alpha = f"-a{config.alpha:g}" if config.activation in SLOPED else ""
    shape = family(config.model).key_part(config)
    return f"{config.dataset}-{shape + '-' if shape else ''}{config.activation}{alpha}-s{config.seed}-{digest}"


def load_run_data(config: RunConfig) -> Dataset:
    """The dataset a config asks for (stratified subsets drawn with `data_seed`)."""
    return load_dataset(config.dataset, n_train=config.n_train, n_test=config.n_test, seed=config.data_seed)
