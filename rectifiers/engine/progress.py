"""The progress lines of a study's training: runs done and left, and the time left, whichever executor trains."""

from __future__ import annotations

import sys
import time

from .study import Plan, duration


class ProgressReport:
    """Runs done/left and an ETA from the plan's estimate, corrected by the pace so far; one line per change."""

    def __init__(self, plan: Plan, stream=sys.stderr, enabled: bool = True):
        self.plan, self.stream, self.enabled = plan, stream, enabled
        self.total = len(plan.to_train)
        self.left_s = plan.estimated_s
        self.done = 0
        self.started = time.monotonic()

    def run_finished(self, run, record: dict | None, error: str | None = None) -> None:
        self.done += 1
        self.left_s -= run.epochs_to_go * self.plan.s_per_epoch[run.config.dataset][0]
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.started
        planned_so_far = self.plan.estimated_s - self.left_s
        pace = elapsed / planned_so_far if planned_so_far > 0 else 1.0
        what = error or f"{record['status']} at epoch {record['epochs_done']}"
        print(f"[{self.done}/{self.total} runs, {self.total - self.done} left, ETA "
              f"{duration(max(self.left_s, 0) * pace)}] {run.key}: {what}", file=self.stream, flush=True)
