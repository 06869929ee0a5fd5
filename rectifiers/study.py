"""Studies: kept as a name for existing imports; they live in `rectifiers.engine` (study, executors)."""

from .engine.executors import run_plan, run_study
from .engine.study import Plan, PlannedRun, Study, load_study, plan, study_from_dict

__all__ = ["Plan", "PlannedRun", "Study", "load_study", "plan", "run_plan", "run_study", "study_from_dict"]
