"""The one training engine of the book: runs, model families, trainers, probes, the store, studies, executors.

What it does and how to run a study: README.md ("Training studies"); the records and the store: results/README.md.
Each module documents its own part: `config` (RunConfig, run keys), `families` and `trainers` (adding a model
family or a trainer), `run` (train, load_model), `stacked` (train_group), `store`, `study`, `executors`, `frames`
(the chapters' loaders), `gan` (the GAN plug-in, imported here so that it registers itself); probes:
`rectifiers.probes`. The names below are what the chapters and other modules import.

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

from . import gan  # noqa: E402,F401 - the GAN plug-in registers the "dcgan" family and the "gan" trainer

__all__ = ["DEFAULT_EPOCHS", "FAMILIES", "OPTIMIZERS", "SCHEMA", "TRAINERS", "Family", "Plan", "PlannedRun",
           "ResultsStore", "RunConfig", "StoreError", "Study", "Trainer", "experiment", "history_frame",
           "load_model", "load_run_data", "load_runs", "load_study", "plan", "probes_frame", "provenance",
           "run_key", "run_plan", "run_study", "scan_runs", "snapshots_frame", "study_from_dict", "train",
           "train_group"]
