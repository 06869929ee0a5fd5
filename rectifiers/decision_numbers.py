"""A verdict's numbers as plain values, for the decision guide's short answer and table (which must not reparse the
sentences the procedure writes).

Kept out of `rectifiers.decision` on purpose: a stored calibration names the exact source of that module
(`calibration.procedure_version`), and reading a verdict's numbers does not change how the book decides.
"""

from __future__ import annotations

from .decision import Decision, Endpoints

KEPT = ("alternative", "baseline", "seeds", "alternative_failed", "baseline_failed", "p_failures_holm",
        "difference", "difference_low", "difference_high", "p_metric_holm", "better", "worse")
"""The columns of `Decision.comparisons` the guide reads."""


def numbers(judged: Decision, endpoints: Endpoints) -> dict:
    """The verdict's kind, its metric (None: failures only), every setting's runs and failures, and each
    alternative's paired comparison with the baseline (`KEPT`), as JSON-plain values."""
    comparisons = [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k in KEPT}
                   for row in judged.comparisons.to_dict("records")]
    return {"category": judged.category, "metric": endpoints.metric, "higher_is_better": endpoints.higher_is_better,
            "failed": {k: int(v) for k, v in judged.failures.items()},
            "runs": {k: int(v) for k, v in judged.runs.items()}, "comparisons": comparisons}
