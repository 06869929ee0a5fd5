"""The one training engine of the book: runs, model families, trainers, probes, the store, studies, executors.

API (stable; other modules and the chapters import from here):

- `RunConfig(...)`: a frozen, validated run: `model` (a family of `FAMILIES`: "seed_cnn"; "mlp" with `depth`,
  `width`, `initializer`, `init_scale`, `bias`; "dcgan", a GAN trained by `gan.GANTrainer`; Chapter 8's
  "seed_cnn_bn", "mlp_blocks" (`block`), and on MNIST-1D "mnist1d_mlp", "mnist1d_cnn", "resnet1d",
  "transformer1d" (`heads`)), dataset, n_train/n_test/data_seed, activation/alpha, seed, batch_size,
  optimizer/learning_rate (`adamw` with `weight_decay`; `schedule` "warmup_cosine" with `warmup_epochs`,
  `optimizers.build_optimizer`), `epochs` (snapshot epochs), `probes` (names in `rectifiers.probes.PROBES`)
  and `probe_every`; recording settings checkpoint_every, test_every, eval_batch_size, keep_weights (not in the key).
  `run_key(config, data)`, `experiment(config, data)`, `load_run_data(config)`.
- `train(config, store=, until_epoch=, data=, progress=) -> record`: deterministic, resumable, never twice; a
  non-finite loss stores the run as "diverged". `load_model(record, epoch)`.
- `train_group(configs, store=, until_epoch=, data=, progress=) -> records`: runs that say `stacked: true` (MLPs
  differing only by seed, learning rate, ReLU/Leaky slope; `stacking.group_runs` groups a plan's runs), trained as
  one stacked program, each still its own run, record and checkpoint (`stacked.py`).
- Model families and trainers: `FAMILIES[name] = Family(name, trainer=..., options={...}, build=...)`;
  `TRAINERS[name] = TrainerSubclass` (a `Trainer`: model, variables(), fit_epoch(), evaluate(); optionally
  fit_epochs(), many epochs in one call). A GAN is a new family with a new trainer; nothing else changes.
- Probes (`rectifiers.probes`): `@register_probe class P(Probe): name = "..."; def measure(self, trainer,
  epoch) -> dict`; rows stored as `record["probes"][name] = [{"epoch": e, ...}, ...]` (epoch 0 = before training).
- Store: `ResultsStore(root)` (`get`, `put`, `scan` -> (records, problems), `check_writable`, `orphans`,
  `run_lock(key)`: one trainer per run across processes), records
  validated on read against `schema.SCHEMA` ("rectifiers.run/2", results/README.md); `migrate.migrate_store`.
- Studies: `load_study(path)`, `study_from_dict(values)`, `plan(study, store, until_epoch=)` -> `Plan`;
  `run_plan(plan, store, executor="dask"|"sequential", scheduler=, workers=)`;
  `run_study(study, store, ...)` (in-process by default).
- Chapters' loaders: `load_runs(**where)`, `scan_runs(**where)` -> (records, problems), `snapshots_frame`,
  `history_frame`, `probes_frame(records, probe)`; `provenance(parameters, **details)` for other stored results.

Nothing here imports TensorFlow until a model is built.
"""

from .config import DEFAULT_EPOCHS, OPTIMIZERS, RunConfig, experiment, load_run_data, run_key
from .environment import provenance
from .executors import run_plan, run_study
from .families import FAMILIES, Family
from .frames import history_frame, load_runs, probes_frame, scan_runs, snapshots_frame
from .run import load_model, train
from .schema import SCHEMA
from .stacked import train_group
from .store import ResultsStore, StoreError
from .study import Plan, PlannedRun, Study, load_study, plan, study_from_dict
from .trainers import TRAINERS, Trainer

__all__ = ["DEFAULT_EPOCHS", "FAMILIES", "OPTIMIZERS", "SCHEMA", "TRAINERS", "Family", "Plan", "PlannedRun",
           "ResultsStore", "RunConfig", "StoreError", "Study", "Trainer", "experiment", "history_frame",
           "load_model", "load_run_data", "load_runs", "load_study", "plan", "probes_frame", "provenance",
           "run_key", "run_plan", "run_study", "scan_runs", "snapshots_frame", "study_from_dict", "train",
           "train_group"]
