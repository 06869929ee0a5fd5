"""The decision guide: each situation the book measured → a recommendation derived from its data → the evidence.

Every chapter that measures a situation exposes `guide_evidence(store=None) -> list[dict]`, one dict per
situation with the keys of `GuideRow`; this module collects them in the order of `SOURCES`, adds the rows the
book can state without training (the default slopes of Keras, measured; of PyTorch, cited) and the settings the
book did not test, and checks that every row names the studies behind it. Every measured recommendation is the
verdict of the book's one decision procedure (`rectifiers.decision`); nothing in the guide is typed by hand.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from ..engine.study import REPOSITORY
from ..prose import MISSING  # what a number reads when its runs are not stored, book-wide
from . import (batchnorm_grid, comparison, comparison_cost, family_guide, gan, modern_networks,  # the chapters that
               deep_narrow_blocks, normalised_fashion, schedules, where_leaky)  # feed it

SOURCES = (
    ("standard", comparison.guide_evidence, "a standard CNN"),
    ("learning_rate", where_leaky.guide_evidence, "learning rate"),
    ("deep_narrow", where_leaky.guide_evidence, "deep and narrow"),
    ("gan", gan.guide_evidence, "GAN discriminator"),
    ("harder_data", family_guide.guide_evidence, "harder data"),
    ("easy_data", family_guide.guide_evidence, "easy data"),
    ("family", family_guide.guide_evidence, "the rest of the family"),
    ("modern_resnet", modern_networks.guide_evidence, modern_networks.SITUATIONS["resnet"].split(" (")[0]),
    ("modern_cnn", modern_networks.guide_evidence, modern_networks.SITUATIONS["cnn"].split(" (")[0]),
    ("modern_mlp", modern_networks.guide_evidence, modern_networks.SITUATIONS["mlp"].split(" (")[0]),
    ("modern_transformer", modern_networks.guide_evidence, modern_networks.SITUATIONS["transformer"].split(" (")[0]),
    ("schedule_resnet", schedules.guide_evidence, schedules.SITUATIONS["resnet"].split(" (")[0]),
    ("schedule_transformer", schedules.guide_evidence, schedules.SITUATIONS["transformer"].split(" (")[0]),
    ("fashion_batchnorm", normalised_fashion.guide_evidence, normalised_fashion.SITUATION),
    ("batchnorm", batchnorm_grid.guide_evidence, batchnorm_grid.SITUATION),
    ("deep_narrow_blocks", deep_narrow_blocks.guide_evidence, deep_narrow_blocks.SITUATION),
    ("cost", comparison_cost.guide_evidence, "cost in training"),
)
"""The guide's measured rows, in the order it shows them: (group, the chapter's `guide_evidence`, the start of the
rows' `situation`). A function may return several rows; a group takes every row whose situation starts so (at least
one); the short answer (`short_answer.lines`) summarises the rows in at most five lines."""

MISSING_SECTIONS = {"standard": "ch4-seeds", "learning_rate": "ch5-learning-rate", "deep_narrow": "ch5-deep-narrow",
                    "gan": "ch5-gan", "harder_data": "ch6-fashion", "easy_data": "ch6-mnist", "family": "ch6-family",
                    "cost": "ch6-cost", "modern_resnet": modern_networks.SECTION, "modern_cnn": modern_networks.SECTION,
                    "modern_mlp": modern_networks.SECTION, "modern_transformer": modern_networks.MISSING_SECTION,
                    "schedule_resnet": schedules.SECTION, "schedule_transformer": modern_networks.MISSING_SECTION,
                    "fashion_batchnorm": normalised_fashion.SECTION, "deep_narrow_blocks": deep_narrow_blocks.SECTION,
                    "batchnorm": batchnorm_grid.SECTION}
"""Where each group's evidence would be, for the row that says its runs are missing."""


@dataclass(frozen=True)
class GuideRow:
    id: str  # a short name, fixed per situation (e.g. standard, learning_rate_3)
    situation: str
    recommendation: str  # the decision procedure's verdict, e.g. "either", "prefer Leaky ReLU α=0.3", "neither: ..."
    evidence: str  # one sentence with the numbers, their intervals and the number of seeds
    seeds: int | None  # seeds per compared cell (None: nothing was trained for this row)
    section: str  # the MyST label of the section with the evidence
    studies: tuple[str, ...]  # study files (repository-relative) whose stored runs back the row
    numbers: dict | None = None  # the verdict's numbers (`decision.numbers`); None where nothing was trained
    optimizer: str | None = None  # "adam" or "sgd" where the source names it (the learning-rate rows)
    deciding: str = ""  # the number that decided a row without `numbers` (the default slopes)

    @property
    def category(self) -> str:
        """The verdict's kind (`decision.CATEGORIES`), or the recommendation itself for a row nothing was trained for."""
        from ..decision import CATEGORIES

        return next((c for c in CATEGORIES if self.recommendation.startswith(c)), self.recommendation)

    @classmethod
    def from_dict(cls, values: dict) -> GuideRow:
        required = [k for k, f in cls.__dataclass_fields__.items() if f.default is dataclasses.MISSING]
        missing = sorted(set(required) - set(values))
        if missing:
            raise ValueError(f"a guide row lacks {', '.join(missing)}: {values!r}")
        return cls(**{**{k: values[k] for k in cls.__dataclass_fields__ if k in values},
                      "studies": tuple(values["studies"])})
        # Other keys (e.g. a source's `rule`) are the source's own: the guide shows the fields above.


def guide_rows(store=None, sources=SOURCES) -> list[GuideRow]:
    """The measured rows of every source, then the default slopes; each row's study files must exist."""
    rows, computed = [], {}
    for group, source, situation in sources:
        if source not in computed:
            try:
                computed[source] = source(store)
            except FileNotFoundError as missing:  # the chapter's runs are not stored: its rows say so, not a crash
                computed[source] = missing
        if isinstance(computed[source], FileNotFoundError):
            rows.append(GuideRow(id=group, situation=situation, recommendation=MISSING,
                                 evidence=_missing_evidence(computed[source]), seeds=None,
                                 section=MISSING_SECTIONS[group], studies=()))
            continue
        found = [v for v in computed[source] if v["situation"].startswith(situation)]
        if not found:
            raise ValueError(f"{source.__module__}.{source.__name__} gives no row whose situation starts with {situation!r}; "
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
        seeds=None, section="ch1-defaults", studies=(), deciding=f"Keras' LeakyReLU() uses α = {layer:g}")


def group_of(row: GuideRow) -> str:
    """The group a row belongs to: its id without the running number a group of several rows adds."""
    head, _, tail = row.id.rpartition("_")
    return head if tail.isdigit() else row.id


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


def short_name(setting: str) -> str:
    """A setting as a table cell names it: "Leaky ReLU α=0.3" and "Leaky ReLU (α=0.3)" → "α=0.3", "PReLU, slope
    starting at 0.25" → "PReLU", "ReLU, RAI init" → "RAI init"."""
    if setting.startswith("Leaky ReLU"):
        return setting.removeprefix("Leaky ReLU").strip(" ()")
    if setting.startswith("ReLU, "):
        return setting.removeprefix("ReLU, ")
    return setting.split(",")[0].split(" (")[0]


def _p(comparison: dict) -> float:
    return min(comparison["p_failures_holm"], comparison["p_metric_holm"])


def deciding_comparison(row: GuideRow) -> dict | None:
    """The comparison with ReLU that decided the row: among those the verdict acted on (better or worse after
    Holm's correction), else among all, the one with the smallest corrected p. None for a row without numbers."""
    comparisons = (row.numbers or {}).get("comparisons") or []
    acted = [c for c in comparisons if c["better"] or c["worse"]]
    return min(acted or comparisons, key=_p) if comparisons else None


def _signed(value: float, decimals: int) -> str:
    """At `decimals` decimals, at most four significant digits (`decision.capped_decimals`: +116.8, not +116.83)."""
    from ..decision import capped_decimals

    decimals = capped_decimals(value, decimals)
    return format(round(value, decimals) + 0.0, f"+.{decimals}f").replace("-", "−")  # never "−0.0"


def _p_text(p: float) -> str:
    return "Holm p < .001" if p < 0.001 else f"Holm p = {p:.3f}".replace("0.", ".", 1) if p < 1 else "Holm p = 1"


def number_text(row: GuideRow, comparison: dict) -> str:
    """One comparison with ReLU as the number a reader checks: the failure counts where the failure test weighed
    more (or the study judges failures only), else the paired metric difference with its 95 % interval."""
    numbers, name = row.numbers, comparison["alternative"]
    failures_differ = comparison["alternative_failed"] != comparison["baseline_failed"]
    if numbers["metric"] is None or (failures_differ and comparison["p_failures_holm"] <= comparison["p_metric_holm"]):
        n = comparison["seeds"]
        return (f"{name} failed {comparison['alternative_failed']} of {n} vs {comparison['baseline']}'s "
                f"{comparison['baseline_failed']} of {n} ({_p_text(comparison['p_failures_holm'])})")
    d, low, high = comparison["difference"], comparison["difference_low"], comparison["difference_high"]
    p = _p_text(comparison["p_metric_holm"])
    if numbers["metric"].startswith("log of"):  # cost: a paired ratio of seconds per epoch
        return (f"{name} takes {math.exp(d):.2f}× {comparison['baseline']}'s time per epoch "
                f"(95 % CI {math.exp(low):.2f}–{math.exp(high):.2f}; {p})")
    scale, decimals, unit = (100, 1, " pp") if "accuracy" in numbers["metric"] else (1, 2, "")
    return (f"{name} {_signed(scale * d, decimals)}{unit} {numbers['metric']} vs {comparison['baseline']} "
            f"(95 % CI {_signed(scale * low, decimals)} to {_signed(scale * high, decimals)}; {p})")


def deciding_number(row: GuideRow) -> str:
    """The one number behind a row's verdict: where every setting failed, ReLU's failures and the fewest any setting
    had; else the deciding comparison (`number_text`); for a row with nothing trained, its own `deciding`."""
    numbers = row.numbers
    if numbers is None or not numbers.get("comparisons"):
        return row.deciding or "not measured"
    if row.category == "neither":
        base = numbers["comparisons"][0]["baseline"]
        best = min((s for s in numbers["failed"] if s != base), key=lambda s: numbers["failed"][s] / numbers["runs"][s])
        return (f"{base} failed {numbers['failed'][base]} of {numbers['runs'][base]}; the fewest, {best}, "
                f"{numbers['failed'][best]} of {numbers['runs'][best]}")
    return number_text(row, deciding_comparison(row))


def failure_counts(row: GuideRow) -> str:
    """The failed runs of every setting, compactly ("ReLU 8, α=0.1 3, α=0.3 0 of 10"); "none" when no run failed."""
    numbers = row.numbers
    if numbers is None or not numbers.get("failed"):
        return "—"
    if not any(numbers["failed"].values()):
        return "none"
    runs = set(numbers["runs"].values())
    each = ", ".join(f"{short_name(s)}\u00a0{k}" + ("" if len(runs) == 1 else f"/{numbers['runs'][s]}")
                     for s, k in numbers["failed"].items())
    return each + (f" of {runs.pop()}" if len(runs) == 1 else "")


def guide_html(rows: list[GuideRow], pages: dict[str, str] | None = None) -> str:
    """The guide as a compact HTML table whose section links work in the built book: per situation its verdict, the
    failed runs of each setting, the number that decided it, and (on demand, `<details>`) the full evidence.

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
        seeds = "" if row.seeds is None else f" ({row.seeds} seeds)"
        # the verdict's kind in bold; an "unclear" or "neither" row's long explanation in smaller type
        kind = row.category if row.category in ("unclear", "neither") else row.recommendation
        rest = row.recommendation[len(kind):].lstrip(":")
        verdict = f"<strong>{escape(kind)}</strong>" + (f' <span class="verdict-detail">{escape(rest)}</span>'
                                                          if rest else "")
        body.append(
            f'<tr><td data-label="Situation">{escape(row.situation)} · {link}</td>'
            f'<td data-label="Verdict">{verdict}</td>'
            f'<td data-label="Failed runs">{escape(failure_counts(row))}</td>'
            f'<td data-label="Deciding number">{escape(deciding_number(row))}{seeds}'
            # the situation opens the details: two situations with the same counts read apart when opened
            f'<details><summary>all numbers</summary>{escape(row.situation.split(" (")[0])}: {escape(row.evidence)}'
            f'</details></td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ("Situation", "Verdict", "Failed runs", "Deciding number"))
    return f'<table class="decision-guide"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _chapter_name(stem: str) -> str:
    number = stem.split("_", 1)[0]
    return f"Chapter {int(number)}" if number.isdigit() else stem
