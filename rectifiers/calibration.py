"""How often the book's decision procedure (`rectifiers.decision`) names a winner by luck, and how often it finds a
real difference: situations simulated with a known truth, shaped like the book's studies.

A simulated situation has ReLU and 3–5 alternatives, 10 or 20 seeds paired as in the studies: a seed's shared
effect moves every setting's failure chance and accuracy together (same initial weights, same batches). A run
fails with its setting's failure rate; a failed run ends near chance (accuracy 0.09–0.3, sometimes diverged: no
value), a healthy one near 0.9 with a seed effect (sd 0.02) and its own noise (sd 0.01), as observed in Chapter 5.
A *false positive* is a null situation (every setting equal) whose verdict prefers or avoids something.
`python -m rectifiers calibrate` prints one line per property; `results/calibration.json` keeps the book's run.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import decision

ENDPOINTS = decision.Endpoints(failure="simulated", metric="test accuracy")
STORED = Path(__file__).resolve().parent.parent / "results" / "calibration.json"
"""The calibration the book glues (Chapter 7), written by `python -m rectifiers calibrate --write`."""


def simulate(rng, seeds: int, rates, gaps=None) -> pd.DataFrame:
    """One situation's runs: setting i fails with chance rates[i] and, healthy, scores gaps[i] above ReLU (i = 0)."""
    gaps = np.zeros(len(rates)) if gaps is None else np.asarray(gaps, float)
    shared = rng.normal(size=seeds)  # a seed's luck, common to every setting (pairing)
    health = rng.normal(0, 0.02, size=seeds)
    rows = []
    for i, (rate, gap) in enumerate(zip(rates, gaps)):
        z = math.sqrt(0.5) * shared + math.sqrt(0.5) * rng.normal(size=seeds)
        failed = z < sps.norm.ppf(min(max(rate, 1e-12), 1 - 1e-12)) if 0 < rate < 1 else np.full(seeds, rate >= 1)
        metric = np.where(failed, rng.uniform(0.09, 0.3, size=seeds), 0.9 + gap + health + rng.normal(0, 0.01, seeds))
        metric[failed & (rng.uniform(size=seeds) < 0.3)] = np.nan  # some failures diverge: no final value
        name = "ReLU" if i == 0 else f"alternative {i}"
        rows += [{"setting": name, "seed": s, "failed": bool(f), "metric": m} for s, f, m in zip(range(seeds), failed, metric)]
    return pd.DataFrame(rows)


def false_positive_rate(n: int = 1000, seed: int = 0) -> float:
    """Share of `n` null situations (10 or 20 seeds, 3–5 alternatives, one failure rate 0–100 % for all) whose
    verdict prefers or avoids a setting."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(n):
        k, seeds = int(rng.integers(3, 6)), int(rng.choice([10, 20]))
        runs = simulate(rng, seeds, [float(rng.uniform())] * (k + 1))
        hits += decision.decide(runs, ENDPOINTS).category in ("prefer", "avoid")
    return hits / n


def power(n: int, seeds: int, rates, gaps=None, want: str = "prefer alternative 1", seed: int = 1) -> float:
    """Share of `n` situations with the given truth whose verdict starts with `want`."""
    rng = np.random.default_rng(seed)
    return sum(decision.decide(simulate(rng, seeds, rates, gaps), ENDPOINTS).verdict.startswith(want)
               for _ in range(n)) / n


POWER_CASES = (
    ("a failure-rate gap of 0.6 with 10 seeds (ReLU fails 60 %, one of 4 alternatives 0 %)", 10,
     [0.6, 0.0, 0.6, 0.6, 0.6], None, "prefer alternative 1"),
    ("a failure-rate gap of 0.6 with 20 seeds (ReLU fails 60 %, one of 4 alternatives 0 %)", 20,
     [0.6, 0.0, 0.6, 0.6, 0.6], None, "prefer alternative 1"),
    ("an accuracy gap of 0.02 with 10 seeds (nothing fails, one of 4 alternatives better)", 10,
     [0.0] * 5, [0, 0.02, 0, 0, 0], "prefer alternative 1"),
    ("a harm of 1.0 with 10 seeds (one of 4 alternatives always fails, ReLU never: avoid it)", 10,
     [0.0, 1.0, 0.0, 0.0, 0.0], None, "avoid alternative 1"),
)
"""(description, seeds, failure rates [ReLU first], accuracy gaps, the verdict that finds the truth)."""


def procedure_version() -> str:
    """SHA-256 (first 12 hex) of the decision module's source: which procedure a stored calibration measured."""
    return hashlib.sha256(Path(decision.__file__).read_bytes()).hexdigest()[:12]


def calibrate(null: int = 1000, per_case: int = 100, seed: int = 0) -> dict:
    """The calibration's numbers: false positives over `null` situations, power over `per_case` per case."""
    return {"false_positives": false_positive_rate(null, seed), "null_situations": null,
            "power": [{"rate": power(per_case, s, r, g, w, seed + 1 + i), "at": d, "situations": per_case}
                      for i, (d, s, r, g, w) in enumerate(POWER_CASES)],
            "seed": seed, "procedure": procedure_version(),
            "command": f"python -m rectifiers calibrate --null {null} --per-case {per_case} --seed {seed} --write"}


def lines(result: dict) -> list[str]:
    """The printed lines: `false positives: <rate> over <n> null situations`, `power: <rate> at <description>`."""
    return ([f"false positives: {result['false_positives']:.3f} over {result['null_situations']} null situations"]
            + [f"power: {p['rate']:.2f} at {p['at']}" for p in result["power"]])


def write(result: dict, path: Path = STORED) -> None:
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def stored(path: Path = STORED) -> dict:
    """The book's stored calibration; ValueError if it measured another version of the procedure."""
    result = json.loads(path.read_text(encoding="utf-8"))
    if result["procedure"] != procedure_version():
        raise ValueError(f"{path} measured decision procedure {result['procedure']}, not the current "
                         f"{procedure_version()}: run `{result['command']}` again")
    return result


def main(null: int, per_case: int, seed: int, write_file: bool) -> int:
    result = calibrate(null, per_case, seed)
    print("\n".join(lines(result)))
    if write_file:
        write(result)
        print(f"written to results/{STORED.name}")
    return 0
