"""Many small MLP runs trained as one program: their weights stacked along a first axis, one `einsum` per layer.

The runs are plain MLPs (family `mlp`) or Chapter 8's MLPs with residual and/or LayerNorm blocks (`mlp_blocks`);
`stacked_forward` computes their layers.

For networks of width 2-32 an epoch costs almost nothing in arithmetic; the time of a run trained alone goes to
per-step overhead (one TensorFlow step, one optimiser update per run). Stacked, a group of S runs takes one step
for all: weights of shape [S, fan_in, width], each run fed its own batch (its own order of the images), the loss
summed over runs. The gradient of a sum is each run's own gradient, and Adam and SGD update every weight from its
own gradient alone, so every run takes exactly its own steps, up to float32 rounding (`einsum` sums in another
order than `Dense`): the record's `experiment.trainer` is "stacked", a run of its own key.

Each run stays itself: initial weights drawn by its family's builder from its seed (`models.mlp`, RAI included;
`modern_models.mlp_blocks`, LayerNorm's gamma 1 and beta 0), its epoch orders (`run.epoch_order`), its optimiser
state, probes measured on its own Keras model, its own checkpoint, record and resume. A run whose loss stops being
finite is stored as diverged at that epoch and retired (weights zeroed, updates masked); the others go on. Runs of a
group that stand at different epochs (one resumed from a later checkpoint) train epoch by epoch, the ones behind
first, the others masked.

`train_group(configs)` is the stacked counterpart of `run.train`; `stacking.group_runs` says which runs go together.
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from ..data import Dataset
from . import environment
from .checkpoint import Progress, arrays, load_checkpoint, save_checkpoint
from .config import RunConfig, load_run_data, run_key
from .families import family
from .run import _append, _make_probes, _measure, _segment_start, build_record, epoch_order, history_columns
from .stacked_forward import Blocks, logits
from .stacking import group_key
from .store import ResultsStore, StoreError, write_npz_atomic
from .trainers import seed_everything

ADAM = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}  # Keras' defaults, as the single-run trainer uses them


class _Slice:
    """One run's view of a stacked variable, shaped like the single-run model's variable (checkpoint files match)."""

    def __init__(self, variable, index: int, path: str):
        self.variable, self.index, self.path = variable, index, path
        self.shape = tuple(variable.shape[1:])

    def numpy(self):
        return self.variable[self.index].numpy()

    def assign(self, value):
        self.variable[self.index].assign(np.asarray(value, dtype=self.variable.dtype.as_numpy_dtype))


class StackedMLP:
    """The weights and optimiser states of S MLPs of one shape and block, and the step that trains them together."""

    def __init__(self, configs: list[RunConfig], data: Dataset):
        import tensorflow as tf

        seed_everything(configs[0].seed)  # deterministic kernels; each model's weights come from its own seed
        self.configs = configs
        self.models = [family(c.model).build(c) for c in configs]  # each run's own initial weights
        self.blocks = Blocks.of(configs[0], self.models[0])
        # In the model's order (`stacked_forward`): per hidden layer kernel, bias (LayerNorm's gamma, beta; PReLU's
        # slopes), then the classifier's kernel, bias.
        names = [v.path for v in self.models[0].variables]
        self.variables = [tf.Variable(np.stack([m.variables[i].numpy() for m in self.models]), name=f"w{i}")
                          for i in range(len(names))]
        self.paths = names
        s = len(configs)
        self.slope = tf.constant([0.0 if c.activation == "relu" else c.alpha for c in configs], tf.float32)
        self.rate = tf.Variable([c.learning_rate for c in configs], dtype=tf.float32, name="learning_rate")
        self.active = tf.Variable(np.ones(s, bool), name="active")
        self.steps = tf.Variable(np.zeros(s, np.float32), name="steps")  # each run's Adam step count
        self.adam = configs[0].optimizer == "adam"
        zeros = lambda v, name: tf.Variable(tf.zeros_like(v), name=name)  # noqa: E731
        self.moments = [zeros(v, f"m{i}") for i, v in enumerate(self.variables)] if self.adam else []
        self.velocities = [zeros(v, f"v{i}") for i, v in enumerate(self.variables)] if self.adam else []
        self.batch_size = configs[0].batch_size
        self.x_train = tf.constant(data.x_train.reshape(len(data.x_train), -1), tf.float32)
        self.y_train = tf.constant(data.y_train, tf.int32)
        self._epoch = tf.function(self._train_epoch, reduce_retracing=True)
        self._evaluate = tf.function(self._metrics, reduce_retracing=True)
        self._eval_sets = {}

    # --- one run's view (checkpoints, snapshot weights, probes) ---------------------------------------------------

    def member_variables(self, index: int) -> dict[str, list]:
        model = [_Slice(v, index, p) for v, p in zip(self.variables, self.paths)]
        state = [_StepSlice(self.steps, index)]
        for group, name in ((self.moments, "m"), (self.velocities, "v")):
            state += [_Slice(v, index, f"stacked_{self.configs[0].optimizer}/{name}_{p}") for v, p in
                      zip(group, self.paths)]
        return {"model": model, "stacked_optimizer": state}

    def member_model(self, index: int):
        """Run `index`'s Keras model with its current weights (for probes)."""
        model = self.models[index]
        for variable, stacked in zip(model.variables, self.variables):
            variable.assign(stacked[index])
        return model

    def retire(self, index: int) -> None:
        """Stop training run `index` (it diverged): zero its weights and state so no NaN flows, mask its updates."""
        import tensorflow as tf

        for v in [*self.variables, *self.moments, *self.velocities]:
            v[index].assign(tf.zeros_like(v[index]))
        self.rate[index].assign(0.0)

    # --- training and evaluation ----------------------------------------------------------------------------------

    def fit_epoch(self, orders: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One epoch of every active run, run s on its images in `orders[s]`; (mean loss, accuracy) per run."""
        self.active.assign(active)
        loss, accuracy = self._epoch(orders.astype(np.int32))
        return loss.numpy(), accuracy.numpy()

    def evaluate(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """(loss, accuracy) of every run over the whole of (x, y)."""
        key = id(x), id(y)
        if key not in self._eval_sets:
            import tensorflow as tf

            self._eval_sets[key] = (x, y, tf.constant(x.reshape(len(x), -1), tf.float32), tf.constant(y, tf.int32))
        loss, accuracy = self._evaluate(*self._eval_sets[key][2:])
        return loss.numpy(), accuracy.numpy()

    def _logits(self, x, shared_input: bool):
        return logits(self.variables, x, self.blocks, self.slope, shared_input=shared_input)

    def _metrics(self, x, y):
        import tensorflow as tf

        logits = self._logits(x, shared_input=True)
        labels = tf.broadcast_to(y[None, :], tf.shape(logits)[:2])
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits), axis=1)
        hits = tf.cast(tf.equal(tf.argmax(logits, axis=2, output_type=tf.int32), labels), tf.float32)
        return loss, tf.reduce_mean(hits, axis=1)

    def _step(self, index):
        import tensorflow as tf

        x, y = tf.gather(self.x_train, index), tf.gather(self.y_train, index)
        with tf.GradientTape() as tape:
            logits = self._logits(x, shared_input=False)
            losses = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits), axis=1)
            total = tf.reduce_sum(tf.where(self.active, losses, 0.0))
        gradients = tape.gradient(total, self.variables)
        self._apply(gradients)
        hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=2, output_type=tf.int32), y), tf.float32), 1)
        return losses, hits

    def _apply(self, gradients) -> None:
        """Keras' Adam (or plain SGD) update, per run: its own learning rate and step count; inactive runs kept."""
        import tensorflow as tf

        active = self.active
        if self.adam:
            step = self.steps + 1.0
            b1, b2, eps = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
            alpha = self.rate * tf.sqrt(1 - tf.pow(b2, step)) / (1 - tf.pow(b1, step))
            self.steps.assign(tf.where(active, step, self.steps))
        for i, (variable, gradient) in enumerate(zip(self.variables, gradients)):
            keep = tf.reshape(active, [-1] + [1] * (len(variable.shape) - 1))
            if self.adam:
                m, v = self.moments[i], self.velocities[i]
                m_new = m + (gradient - m) * (1 - b1)
                v_new = v + (tf.square(gradient) - v) * (1 - b2)
                a = tf.reshape(alpha, keep.shape)
                update = (m_new * a) / (tf.sqrt(v_new) + eps)
                m.assign(tf.where(keep, m_new, m))
                v.assign(tf.where(keep, v_new, v))
            else:
                update = gradient * tf.reshape(self.rate, keep.shape)
            variable.assign(tf.where(keep, variable - update, variable))

    def _train_epoch(self, orders):
        import tensorflow as tf

        n, size = self.x_train.shape[0], self.batch_size
        full = n // size
        loss_sum = tf.zeros([len(self.configs)])
        hit_sum = tf.zeros([len(self.configs)])
        for b in tf.range(full):
            losses, hits = self._step(orders[:, b * size:(b + 1) * size])
            loss_sum += losses * size
            hit_sum += hits
        if full * size < n:  # the last, smaller batch, as Keras cuts it
            losses, hits = self._step(orders[:, full * size:])
            loss_sum += losses * (n - full * size)
            hit_sum += hits
        return loss_sum / n, hit_sum / n


class _StepSlice(_Slice):
    def __init__(self, variable, index: int):
        self.variable, self.index, self.path, self.shape = variable, index, "stacked_optimizer/steps", ()


# --- the runs of a group, each with its own progress, probes, checkpoint and record ---------------------------------


class _Member:
    """One run of a stacked group: what `run.train` keeps for a single run (progress, probes, segment, record)."""

    def __init__(self, index: int, config: RunConfig, key: str, record, trainer: StackedMLP, store: ResultsStore,
                 data: Dataset):
        self.index, self.config, self.key, self.record = index, config, key, record
        self.trainer, self.store, self.data = trainer, store, data
        self.columns = history_columns(config)
        self.state = Progress(columns=self.columns, created=environment.now())
        self.view = _MemberView(trainer, index)
        checkpoint = store.checkpoint_path(key)
        if checkpoint.exists():  # a partial run, or one killed before its first record was written
            self.state = load_checkpoint(checkpoint, key, self.view, self.columns)
            if record is not None and record["epochs_done"] == self.state.epoch and self.state.epoch:
                self.state.history["save_s"][-1] = record["history"]["save_s"][-1]
        self.probes = _make_probes(config, data)
        self.segment = None

    def start(self, group_size: int) -> None:
        self.segment = _segment_start(self.state.epoch, self.view, self.config)
        self.segment["stacked_runs"] = group_size  # trained in one program with this many runs
        self.state.segments.append(self.segment)
        if self.state.epoch == 0:
            _measure(self.probes, self.view, 0, self.state)

    def end_epoch(self, epoch: int, metrics: dict, fit_s: float, evaluated: dict, eval_s: float, target: int,
                  started: float) -> bool:
        """`run.train`'s end of an epoch for this run; the group evaluated every run at once (`evaluated`:
        {"train": (loss, accuracy), "test": ...} per run index). True when the run diverged."""
        config, state, t1 = self.config, self.state, time.perf_counter()
        row = {"epoch": epoch, **{f"train_{m}": v for m, v in metrics.items()}, "fit_s": fit_s}
        diverged = not all(math.isfinite(v) for v in metrics.values())
        measured = {f"{half}_{m}": float(values[i][self.index]) for half, values in evaluated.items()
                    for i, m in enumerate(("loss", "accuracy"))}
        if diverged:
            state.diverged_at = epoch
        elif epoch in config.epochs:
            snap = {"epoch": epoch, **measured, "eval_s": eval_s}
            state.snapshots.append(snap)
            row.update({k: v for k, v in snap.items() if k.startswith("test_")})
            if config.keep_weights == "all" or (config.keep_weights == "final" and epoch == config.last_epoch):
                write_npz_atomic(self.store.snapshot_weights_path(self.key, epoch),
                                 arrays("model", self.view.variables()["model"]))
        elif "test" in evaluated:
            row.update({k: v for k, v in measured.items() if k.startswith("test_")})
        if not diverged and (epoch % config.probe_every == 0 or epoch in config.epochs):
            _measure(self.probes, self.view, epoch, state)
        t2 = time.perf_counter()
        row["eval_s"] = eval_s + t2 - t1
        _append(state.history, row)
        state.epoch = epoch
        if diverged or epoch % config.checkpoint_every == 0 or epoch in config.epochs or epoch == target:
            self.segment.update(epochs=[self.segment["epochs"][0], epoch], finished=environment.now(),
                                wall_s=time.perf_counter() - started)
            save_checkpoint(self.store.checkpoint_path(self.key), self.key, self.view, state)
            state.history["save_s"][-1] = time.perf_counter() - t2
            self.record = build_record(config, self.key, self.data, state)
            self.store.put(self.record)
        return diverged

    def finish(self) -> dict:
        if self.record is None or self.record["epochs_done"] != self.state.epoch:
            self.record = build_record(self.config, self.key, self.data, self.state)
            self.store.put(self.record)
        if self.record["status"] != "partial" and self.config.keep_weights != "all":
            self.store.remove_checkpoint(self.key)
        return self.record


class _MemberView:
    """What checkpoints and probes ask of a trainer, for one run of a stacked group."""

    jit_compile = False

    def __init__(self, trainer: StackedMLP, index: int):
        self.trainer, self.index = trainer, index

    def variables(self) -> dict[str, list]:
        return self.trainer.member_variables(self.index)

    @property
    def model(self):
        return self.trainer.member_model(self.index)


def check_group(configs: list[RunConfig], target: int) -> None:
    """ValueError unless `configs` are stacked runs that one program can train together."""
    if not configs:
        raise ValueError("a stacked group needs at least one run")
    keys = {group_key(c, target) for c in configs}
    if not all(c.stacked for c in configs) or len(keys) > 1:
        raise ValueError("a stacked group's runs must all say stacked: true and differ only by seed, learning rate "
                         "and ReLU / Leaky ReLU slope (PReLU runs apart); use stacking.group_runs to group them")


def train_group(configs: list[RunConfig], *, store: ResultsStore | None = None, until_epoch: int | None = None,
                data: Dataset | None = None, progress=None) -> list[dict]:
    """Train (or resume, or just return) the stacked runs `configs` as one program; return their records, in order.

    A run whose record or checkpoint the store cannot use is left alone; the others train, then StoreError names it.
    `progress`: None, or an object with tqdm's `update(n)` (called once per epoch of each run trained).
    """
    store = store or ResultsStore()
    last = configs[0].last_epoch if configs else 1
    target = last if until_epoch is None else min(int(until_epoch), last)
    check_group(configs, target)
    data = data if data is not None else load_run_data(configs[0])
    keys = [run_key(c, data) for c in configs]
    if len(set(keys)) < len(keys):
        raise ValueError(f"a stacked group lists a run twice: {sorted(k for k in keys if keys.count(k) > 1)}")
    if all(_ended(store.get(key), target) for key in keys):
        return [store.get(key) for key in keys]
    store.check_writable()
    # The group holds every member's lock (in key order, so that two groups sharing runs cannot deadlock): a second
    # command on the store waits, then finds what this one stored, and never trains a run twice.
    with contextlib.ExitStack() as locks:
        for key in sorted(keys):
            locks.enter_context(store.run_lock(key))
        records, todo, problems = {}, [], []
        for config, key in zip(configs, keys):
            record = store.get(key)
            if _ended(record, target):
                records[key] = record
                continue
            problem = store.checkpoint_problem(key) if record is not None and record["epochs_done"] > 0 else None
            if problem:
                problems.append(problem)
                continue
            todo.append((config, key, record))
        if todo:
            store.clean_orphans()
            records.update(_train(todo, store, data, target, progress))
    if problems:
        raise StoreError("; ".join(problems))
    return [records[key] for key in keys]


def _ended(record, target: int) -> bool:
    """Whether a stored record needs no more training up to `target`."""
    return record is not None and (record["status"] == "diverged" or record["epochs_done"] >= target)


def _train(todo, store: ResultsStore, data: Dataset, target: int, progress) -> dict:
    trainer = StackedMLP([config for config, _, _ in todo], data)
    members = [_Member(i, config, key, record, trainer, store, data) for i, (config, key, record) in enumerate(todo)]
    for m in members:
        if m.state.diverged_at is not None:  # killed between the checkpoint and the record of a divergence
            trainer.retire(m.index)
        else:
            m.start(len(members))
    bar, own_bar = progress, False
    if progress is True:
        from tqdm.auto import tqdm

        bar, own_bar = tqdm(total=sum(target - m.state.epoch for m in members), desc=f"{len(members)} runs stacked",
                            unit="run-epoch"), True
    elif progress is False:
        bar = None
    started, n = time.perf_counter(), len(data.y_train)
    running = [m for m in members if m.state.diverged_at is None]
    try:
        while running := [m for m in running if m.state.epoch < target and m.state.diverged_at is None]:
            epoch = min(m.state.epoch for m in running) + 1  # runs behind (resumed from older checkpoints) go first
            now = [m for m in running if m.state.epoch + 1 == epoch]
            active = np.zeros(len(members), bool)
            active[[m.index for m in now]] = True
            orders = np.stack([epoch_order(m.config.seed, epoch, n) if active[m.index] else np.arange(n)
                               for m in members])
            t0 = time.perf_counter()
            loss, accuracy = trainer.fit_epoch(orders, active)
            fit_s = (time.perf_counter() - t0) / len(now)  # each run's share of the group's epoch
            t1 = time.perf_counter()
            config = now[0].config
            evaluated = {}
            if epoch in config.epochs:
                evaluated["train"] = trainer.evaluate(data.x_train, data.y_train)
            if epoch in config.epochs or (config.test_every and epoch % config.test_every == 0):
                evaluated["test"] = trainer.evaluate(data.x_test, data.y_test)
            eval_s = (time.perf_counter() - t1) / len(now)
            for m in now:
                metrics = {"loss": float(loss[m.index]), "accuracy": float(accuracy[m.index])}
                if m.end_epoch(epoch, metrics, fit_s, evaluated, eval_s, target, started):
                    trainer.retire(m.index)  # after its checkpoint kept the weights it diverged with
                if bar is not None:
                    bar.update(1)
    finally:
        if own_bar and bar is not None:
            bar.close()
    return {m.key: m.finish() for m in members}
