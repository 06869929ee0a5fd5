"""Training runs: kept as a name for existing imports; the engine lives in `rectifiers.engine`."""

from .engine.config import DEFAULT_EPOCHS, OPTIMIZERS, RunConfig, experiment, load_run_data, run_key
from .engine.environment import device, git_commit, hardware, versions
from .engine.families import FAMILIES
from .engine.run import load_model, train

MODELS = tuple(FAMILIES)

__all__ = ["DEFAULT_EPOCHS", "MODELS", "OPTIMIZERS", "RunConfig", "device", "experiment", "git_commit", "hardware",
           "load_model", "load_run_data", "run_key", "train", "versions"]
