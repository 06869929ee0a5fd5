"""The decision guide: each situation the book measured → a recommendation derived from its data → the evidence.

Every chapter that measures a situation exposes `guide_evidence(store=None) -> list[dict]`, one dict per
situation with the keys of `GuideRow`; this module collects them in the order of `SOURCES`, adds the rows the
book can state without training (the default slopes of Keras, measured; of PyTorch, cited) and the settings the
book did not test, and checks that every row names the studies behind it. Every measured recommendation is the
verdict of the book's one decision procedure (`rectifiers.decision`); nothing in the guide is typed by hand.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..engine.study import REPOSITORY
from ..prose import MISSING  # what a number reads when its runs are not stored, book-wide

SOURCES = (
    ("standard", "rectifiers.experiments.guide:cnn_evidence", "a standard CNN"),
    ("learning_rate", "rectifiers.experiments.where_leaky:guide_evidence", "learning rate"),
    ("deep_narrow", "rectifiers.experiments.where_leaky:guide_evidence", "deep and narrow"),
    ("gan", "rectifiers.experiments.gan:guide_evidence", "GAN discriminator"),
    ("harder_data", "rectifiers.experiments.family_guide:guide_evidence", "harder data"),
    ("easy_data", "rectifiers.experiments.family_guide:guide_evidence", "easy data"),
    ("family", "rectifiers.experiments.family_guide:guide_evidence", "the rest of the family"),
    ("cost", "rectifiers.experiments.comparison_cost:guide_evidence", "cost in training"),
)
"""The guide's measured rows, in the order it shows them: (group, 'module:function', the start of the rows'
`situation`). A function may return several rows; a group takes every row whose situation starts so (at least
one), and the intro summarises each group in a line (`group_summaries`)."""

MISSING_SECTIONS = {"standard": "ch4-seeds", "learning_rate": "ch5-learning-rate", "deep_narrow": "ch5-deep-narrow",
                    "gan": "ch5-gan", "harder_data": "ch6-fashion", "easy_data": "ch6-mnist", "family": "ch6-family",
                    "cost": "ch6-cost"}
"""Where each group's evidence would be, for the row that says its runs are missing."""


@dataclass(frozen=True)
class GuideRow:
    id: str  # a short name, fixed per situation: the intro glues `guide_<id>` (e.g. guide_standard)
    situation: str
    recommendation: str  # the decision procedure's verdict, e.g. "either", "prefer Leaky ReLU α=0.3", "neither: ..."
    evidence: str  # one sentence with the numbers, their intervals and the number of seeds
    seeds: int | None  # seeds per compared cell (None: nothing was trained for this row)
    section: str  # the MyST label of the section with the evidence
    studies: tuple[str, ...]  # study files (repository-relative) whose stored runs back the row

    @classmethod
    def from_dict(cls, values: dict) -> GuideRow:
        missing = sorted(set(cls.__dataclass_fields__) - set(values))
        if missing:
            raise ValueError(f"a guide row lacks {', '.join(missing)}: {values!r}")
        return cls(**{**{k: values[k] for k in cls.__dataclass_fields__}, "studies": tuple(values["studies"])})
        # Other keys (e.g. a source's `rule`) are the source's own: the guide shows the fields above.


def guide_rows(store=None, sources=SOURCES) -> list[GuideRow]:
    """The measured rows of every source, then the default slopes; each row's study files must exist."""
    rows, computed = [], {}
    for group, source, situation in sources:
        if source not in computed:
            module, function = source.split(":")
            try:
                computed[source] = getattr(importlib.import_module(module), function)(store)
            except FileNotFoundError as missing:  # the chapter's runs are not stored: its rows say so, not a crash
                computed[source] = missing
        if isinstance(computed[source], FileNotFoundError):
            rows.append(GuideRow(id=group, situation=situation, recommendation=MISSING,
                                 evidence=_missing_evidence(computed[source]), seeds=None,
                                 section=MISSING_SECTIONS[group], studies=()))
            continue
        found = [v for v in computed[source] if v["situation"].startswith(situation)]
        if not found:
            raise ValueError(f"{source} gives no row whose situation starts with {situation!r}; "
                             f"its situations: {[v['situation'] for v in computed[source]]}")
        for i, values in enumerate(found):
            rows.append(GuideRow.from_dict({**values, "id": group if len(found) == 1 else f"{group}_{i + 1}"}))
    rows.append(default_slopes_row())
    for row in rows:
        for study in row.studies:
            if not (REPOSITORY / study).is_file():
                raise ValueError(f"guide row {row.situation!r} names study {study}, which does not exist")
    return rows


def _missing_evidence(missing: FileNotFoundError) -> str:
    """A source's missing-runs message in one sentence: what is not stored, and the command that trains it."""
    lines = str(missing).splitlines()
    command = next((line[line.index("python -m"):].strip() for line in reversed(lines) if "python -m" in line), "")
    return lines[0].split(";")[0].rstrip(".:") + (f"; train them with: {command}" if command else "")


def unusable_files(store=None) -> str:
    """Every stored file the guide's rows had to leave out (its path and what is wrong), as text; '' if none.

    A row computed without a run says so only through its seed count; this names the files, as the chapters do.
    """
    from ..engine import ResultsStore

    problems = (store if store is not None else ResultsStore()).scan(training=False)[1]
    if not problems:
        return ""
    return "\n".join([f"{len(problems)} stored file(s) could not be used; every row was computed without them:",
                      *(f"  - {p}" for p in problems)])


def cnn_evidence(store=None) -> list[dict]:
    """Chapter 4: the seed article's CNN at its normal learning rate, ReLU vs Leaky ReLU α = 0.01 over seeds, judged
    by the decision procedure on the test accuracy at the last epoch every seed reached."""
    import pandas as pd

    from .. import decision
    from ..engine import load_study
    from . import comparison

    path = "studies/mnist_seed_replication.yaml"
    study = load_study(REPOSITORY / path)
    alpha = study.alphas[0]
    results = comparison.gather(study, store)
    snapshots = results.snapshots()
    if not comparison.has_pairs(snapshots, alpha):
        root = (store.root if store is not None else "results")
        raise FileNotFoundError(f"{path}: " + results.missing_message(
            f"python -m rectifiers study {path} --results {root}"))
    reached = snapshots.groupby(["activation", "seed"]).epoch.max().min()
    last = snapshots[snapshots.epoch == reached]
    names = {"relu": "ReLU", "leaky_relu": f"Leaky ReLU α={alpha:g}"}
    runs = pd.DataFrame({"setting": last.activation.map(names), "seed": last.seed, "metric": last.test_accuracy,
                         "failed": ~last.test_accuracy.astype(float).map(lambda v: v == v and v > 0)})
    endpoints = decision.Endpoints(failure="diverged", metric="test accuracy", remedy="check the training setup")
    judged = decision.decide(runs, endpoints, order=list(names.values()))
    seeds = int(judged.comparisons.seeds.iloc[0])
    evidence = f"after {int(reached):,} epochs, {seeds} paired seeds: {judged.sentence()}"
    return [dict(situation="a standard CNN at a normal learning rate (the seed article's network, Adam 0.001, MNIST)",
                 recommendation=judged.verdict, category=judged.category, evidence=evidence, seeds=seeds,
                 section="ch4-seeds", studies=[path])]


def default_slopes_row() -> GuideRow:
    """What `LeakyReLU()` means in the reader's code: Keras' defaults measured here, PyTorch's cited."""
    import keras

    from ..activations import CITED_SLOPES, measured_default_slopes

    keras_slopes = measured_default_slopes()
    layer = keras_slopes["keras.layers.LeakyReLU(): its config"]
    function = keras_slopes["keras.activations.leaky_relu: −output at −1"]
    torch = CITED_SLOPES["torch.nn.LeakyReLU() (PyTorch)"][0]
    return GuideRow(
        id="defaults", situation="writing LeakyReLU() without a slope",
        recommendation="pass α explicitly",
        evidence=(f"Keras {keras.__version__}'s LeakyReLU() layer uses α = {layer:g} and "
                  f"keras.activations.leaky_relu α = {function:g} (measured here); PyTorch's nn.LeakyReLU() uses "
                  f"α = {torch:g} (its documentation); the literature and the seed article use 0.01"),
        seeds=None, section="ch1-defaults", studies=())


def summary(row: GuideRow) -> str:
    """The row in one line for the intro's short answer: "recommendation: evidence"."""
    return f"{row.recommendation}: {row.evidence}"


def group_of(row: GuideRow) -> str:
    """The group a row belongs to: its id without the running number a group of several rows adds."""
    head, _, tail = row.id.rpartition("_")
    return head if tail.isdigit() else row.id


def _merged(members: list[GuideRow], many: int) -> str | None:
    """A group of more than `many` rows whose situations differ only in a last word (e.g. "deep and narrow MLP 20×4
    (…)"), one seed count and one parenthetical, told by recommendation: "deep and narrow MLP: Leaky ReLU α=0.3 at
    20×2, 20×4; either at the other 10 (depth × width; 20 seeds per cell)". None when it does not apply."""
    heads = [m.situation.split(" (")[0] for m in members]
    notes = {m.situation.partition(" (")[2].rstrip(")") for m in members}
    stem = os.path.commonprefix(heads)
    stem = stem[:stem.rfind(" ") + 1]
    tails = [h[len(stem):] for h in heads]
    if len(members) <= many or not stem.strip() or any(" " in t or not t for t in tails) or len(notes) != 1 \
            or len({m.seeds for m in members}) != 1:
        return None
    by_choice: dict[str, list[str]] = {}
    for member, tail in zip(members, tails):
        by_choice.setdefault(member.recommendation, []).append(tail)
    common = max(by_choice, key=lambda choice: (len(by_choice[choice]), choice == "either"))  # "either" on a tie
    parts = [f"{choice} at {', '.join(tails)}" for choice, tails in by_choice.items() if choice != common]
    parts.append(f"{common} at the other {len(by_choice[common])}" if parts else f"{common} at all {len(members)}")
    note = notes.pop()
    return f"{stem.strip()}: {'; '.join(parts)} ({note + '; ' if note else ''}{members[0].seeds} seeds per cell)"


def group_summaries(rows: list[GuideRow], short: int = 200, many: int = 4) -> dict[str, str]:
    """One line per group for the intro's short answer (no final full stop): a lone row's recommendation, with
    its evidence if that is under `short` characters, else with its number of seeds; for a group of several rows,
    each situation (without its parenthetical) → its recommendation, or, for more than `many` rows that differ in
    one word only, the rows by recommendation (`_merged`)."""
    groups: dict[str, list[GuideRow]] = {}
    for row in rows:
        groups.setdefault(group_of(row), []).append(row)
    out = {}
    for group, members in groups.items():
        if len(members) == 1:
            row = members[0]
            evidence = row.evidence.rstrip(".")
            line = (f"{row.recommendation} ({evidence})" if len(evidence) < short or row.seeds is None
                    else f"{row.recommendation} ({row.seeds} paired seeds)")
        elif (merged := _merged(members, many)) is not None:
            line = merged
        elif len({m.seeds for m in members}) == 1:
            line = "; ".join(f"{m.situation.split(' (')[0]}: {m.recommendation}" for m in members) + \
                f" ({members[0].seeds} seeds per cell)"
        else:
            line = "; ".join(f"{m.situation.split(' (')[0]}: {m.recommendation} ({m.seeds} seeds)" for m in members)
        out[group] = line
    return out


def section_pages(notebooks_dir: Path | None = None) -> dict[str, str]:
    """MyST label → the notebook (stem) whose markdown defines it, e.g. "ch4-seeds" → "04_cnn_comparison"."""
    import json
    import re

    pages = {}
    for path in sorted((notebooks_dir or REPOSITORY / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "markdown":
                for label in re.findall(r"^\(([\w-]+)\)=\s*$", "".join(cell["source"]), flags=re.M):
                    pages[label] = path.stem
    return pages


def guide_html(rows: list[GuideRow], pages: dict[str, str] | None = None) -> str:
    """The guide as an HTML table (one row a situation) whose section links work in the built book.

    The chapters are pages beside this one (notebooks/<stem>.html); a label is the id of its section there. On a
    narrow screen the stylesheet (book/_static/rectifiers.css, `.decision-guide`) stacks each row's cells.
    """
    from html import escape

    pages = section_pages() if pages is None else pages
    body = []
    for row in rows:
        if row.section not in pages:
            raise ValueError(f"guide row {row.situation!r} links to section {row.section!r}, which no notebook "
                             "defines")
        link = f'<a href="{pages[row.section]}.html#{row.section}">{escape(_chapter_name(pages[row.section]))}</a>'
        seeds = "—" if row.seeds is None else str(row.seeds)
        body.append(
            f'<tr><td data-label="Situation">{escape(row.situation)}</td>'
            f'<td data-label="Recommendation"><strong>{escape(row.recommendation)}</strong></td>'
            f'<td data-label="Evidence">{escape(row.evidence)}</td>'
            f'<td data-label="Seeds per cell">{seeds}</td><td data-label="Where">{link}</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ("Situation", "Recommendation", "Evidence", "Seeds per cell", "Where"))
    return (f'<table class="decision-guide"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _chapter_name(stem: str) -> str:
    number = stem.split("_", 1)[0]
    return f"Chapter {int(number)}" if number.isdigit() else stem
