"""Chapter 5, "Where Leaky ReLU wins, and where it does not": its studies, and the evidence for the decision guide.

The chapter's grids are study files (`studies/ch5_*.yaml`); in train mode the chapter runs them with a few
settings overridden (fewer seeds, a smaller grid: a tiny version for the papermill test) into a store of its own.
The engine's `study_records` (`engine/stored_studies.py`) reads one study's runs from a store and refuses to show
part of a study.

`guide_evidence(store)` gives the book's decision guide one dict per measured situation, its verdict computed from
the stored data by the book's one decision procedure (`rectifiers.decision`, through `learning_rates.verdicts` and, for
the deep and narrow networks, `deep_narrow_blocks.learning_verdicts`: a network that collapsed, ended near chance or
diverged did not learn), never typed.
"""

from __future__ import annotations


from ..engine import ResultsStore, run_study, study_from_dict
from ..engine.stored_studies import study_records
from ..engine.study import REPOSITORY, Study
from ..engine.yaml_files import read_yaml
from . import deep_narrow, deep_narrow_blocks, fading, learning_rates

LR_BLOCKS = {f"{model}_{optimizer}": key for key in learning_rates.STUDIES for model, optimizer in [key]}
"""The learning-rate blocks by name ("mlp_adam", "mlp_sgd", "seed_cnn_adam", "seed_cnn_sgd")."""

CHAPTER_BLOCKS = ("mlp_adam", "mlp_sgd", "seed_cnn_adam", "seed_cnn_sgd")
"""The learning-rate blocks the chapter shows and the decision guide reads (their studies are stored)."""

CHAPTER_PRELU_BLOCKS = ("mlp_adam", "mlp_sgd", "seed_cnn_adam", "seed_cnn_sgd")
"""The blocks whose PReLU study is stored (the chapter and the guide add PReLU there)."""


def overrides(*, seeds=None, n_train=None, n_test=None, epochs=None, grid=None) -> dict:
    """The study settings a chapter may override (the keywords its `*_settings` parameters accept), given ones only.
    A typo is caught by the parameter check; the values themselves are checked like a study file's."""
    given = dict(seeds=seeds, n_train=n_train, n_test=n_test, epochs=epochs, grid=grid)
    return {k: v for k, v in given.items() if v is not None}


def study(path: str, overrides: dict | None = None) -> Study:
    """The study at `path` (relative to the repository) with `overrides` applied: a setting replaces the file's,
    `grid` entries replace the file's grid entries one by one (e.g. {"seeds": [0, 1], "grid": {"width": [2]}})."""
    values = read_yaml(REPOSITORY / path, what="study file")
    if not overrides:
        return study_from_dict(values, source=path)  # named as in the repository, never by a machine's path
    overrides = dict(overrides)
    grid = {**(values.get("grid") or {}), **overrides.pop("grid", {})}
    values.update(overrides)
    values["grid"] = grid
    return study_from_dict(values, source=f"{path} (with {sorted(overrides) + (['grid'] if grid else [])} set)")


def lr_studies(blocks, overrides: dict | None = None, prelu_blocks=()) -> list[Study]:
    """The learning-rate studies of the named blocks, and the PReLU study of each block in `prelu_blocks`; as
    stored (no `overrides`), a block's studies of more seeds (`learning_rates.MORE_SEEDS`) follow its own."""
    for name in [*blocks, *prelu_blocks]:
        if name not in LR_BLOCKS:
            raise ValueError(f"learning-rate block {name!r} is not one of {', '.join(LR_BLOCKS)}")
    return [study(path, overrides) for name in blocks for path in block_paths(LR_BLOCKS[name], 0, overrides)] + \
        [study(path, overrides) for name in prelu_blocks for path in block_paths(LR_BLOCKS[name], 1, overrides)]


def block_paths(key, which: int, overrides: dict | None = None) -> list[str]:
    """A block's study files: its study (`which` 0) or its PReLU study (1), then, as stored (no `overrides`: a
    chapter's own smaller grid would train them anew), its study of more seeds where it has one."""
    own = (learning_rates.STUDIES, learning_rates.PRELU_STUDIES)[which][key]
    more = learning_rates.MORE_SEEDS.get(key) if learning_rates.TRAINED_TO_THE_END[key] and not overrides else None
    return [own] + ([more[which]] if more else [])


def train_missing(studies, store: ResultsStore) -> None:
    """Train whatever the store lacks of `studies`, in this process (the chapter's train mode)."""
    for one in studies:
        run_study(one, store, progress=False)


def guide_evidence(store=None) -> list[dict]:
    """One dict per situation Chapter 5 measured, for the book's decision guide: `situation`, `recommendation`
    (the decision procedure's verdict, through `learning_rates.verdicts`, or for the deep and narrow networks
    `deep_narrow_blocks.learning_verdicts`, the verdict on collapse alone named in the evidence),
    `evidence` (a sentence with the numbers), `seeds` (per cell), `section` (MyST label), `studies` (YAML paths)."""
    store = store if store is not None else ResultsStore()
    out = []
    for name in CHAPTER_BLOCKS:
        studies = lr_studies([name], prelu_blocks=[name] if name in CHAPTER_PRELU_BLOCKS else [])
        runs = learning_rates.frame([r for one in studies for r in study_records(one, store)])
        for v in learning_rates.verdicts(runs).itertuples():
            block = runs[(runs.model == v.model) & (runs.optimizer == v.optimizer)]
            out.append({"situation": f"learning rate {v.learning_rate:g}, {learning_rates.OPTIMIZER_NAMES[v.optimizer]}, "
                                     f"{learning_rates.model_name(v.model, v.optimizer)} "
                                     f"(MNIST, {learning_rates.budget_text(block)})",
                        "recommendation": v.recommendation, "evidence": v.evidence, "category": v.category,
                        "numbers": v.numbers, "optimizer": v.optimizer, "seeds": v.seeds, "section": learning_rates.SECTION,
                        "studies": [one.source for one in studies]})
    runs = deep_narrow.frame([r for path in deep_narrow.STUDIES for r in study_records(study(path), store)])
    collapse = {(v.width, v.depth): v.recommendation for v in deep_narrow.verdicts(runs).itertuples()}
    # Judged on learning (collapsed, near chance or diverged = failed), as Chapter 8 judges its blocks: a network that
    # did not collapse can still end near chance, and a verdict on collapse alone would call that a win.
    for v in deep_narrow_blocks.learning_verdicts(deep_narrow_blocks.chapter5_frame(runs)).itertuples():
        out.append({"situation": f"deep and narrow MLP {v.depth}×{v.width} (depth × width, MNIST, "
                                 f"{learning_rates.budget_text(runs)})",
                    "recommendation": v.recommendation, "seeds": v.seeds, "category": v.category,
                    "numbers": v.numbers, "section": deep_narrow.SECTION, "studies": list(deep_narrow.STUDIES),
                    "evidence": f"{v.evidence} Judged on collapse alone: “{collapse[v.width, v.depth]}”."})
    return out


def deep_learning_story(learning: pd.DataFrame, collapse: pd.DataFrame) -> str:
    """The deep-and-narrow verdicts on learning (`deep_narrow_blocks.learning_verdicts`) counted, and the shapes where
    the verdict on collapse (`deep_narrow.verdicts`) names a preference that the verdict on learning does not."""
    counted = ", ".join(f"“{c}” at {n}" for c, n in learning.category.value_counts().items())
    on_collapse = collapse.set_index(["width", "depth"]).category
    why = {"unclear": "it changes with where the bars are drawn within their bands (each row below says how)",
           "neither": "no setting learned in most of its runs", "either": "the tests do not separate the settings",
           "avoid": "it names only a setting to avoid"}
    lost = {}
    for r in learning.itertuples():
        if on_collapse.get((r.width, r.depth)) == "prefer" and r.category != "prefer":
            lost.setdefault(r.category, []).append(f"{r.depth}×{r.width}")
    said = f"Judged on learning, the verdict is {counted} of the {len(learning)} shapes."
    for category, shapes in lost.items():
        said += (f" At {', '.join(shapes)} the verdict on collapse names a setting to prefer and the verdict on "
                 f"learning is “{category}”: {why.get(category, category)}.")
    return said


def alpha_verdict(lr_verdicts: dict, deep_verdicts: dict) -> str:
    """Experiment 4's sentence, counted from the decision procedure (`learning_rates.decisions`,
    `deep_narrow.decisions`): in how many of the situations where ReLU failed (or collapsed) at least once each slope
    did significantly better than ReLU after Holm's correction, and in how many significantly worse."""
    better, worse, seen = {}, {}, {}
    judged = [*lr_verdicts.values(), *deep_verdicts.values()]
    situations = [d for d in judged if d.failures.get("ReLU", 0) > 0]
    for d in situations:
        for r in d.comparisons.itertuples():
            if not r.alternative.startswith("Leaky"):
                continue
            alpha = float(r.alternative.split("=")[1])
            seen[alpha] = seen.get(alpha, 0) + 1
            better[alpha] = better.get(alpha, 0) + bool(r.better)
            worse[alpha] = worse.get(alpha, 0) + bool(r.worse)
    if not situations:
        return "ReLU never failed or collapsed in these studies, so there was nothing for a slope to rescue."
    counts = ", ".join(f"α = {a:g} in {better[a]} of {seen[a]} (worse in {worse[a]})" for a in sorted(seen))
    return (f"Of the {len(situations)} measured situations where ReLU failed or collapsed at least once, Leaky ReLU "
            f"did significantly better than ReLU (the book's decision procedure: paired tests, Holm's correction) "
            f"with {counts}.")


def lr_story(verdicts) -> str:
    """The learning-rate verdicts in words (`learning_rates.verdicts`), grouped by category: where an alternative is
    to be preferred or avoided, where neither trains, where the data cannot tell, where the verdict is unclear."""
    where = lambda v: (f"{learning_rates.model_name(v.model, v.optimizer)}, {learning_rates.OPTIMIZER_NAMES[v.optimizer]} "  # noqa: E731
                       f"{v.learning_rate:g}")
    parts = []
    for category, words in (("prefer", "The data name a choice"), ("avoid", "The data name a setting to avoid"),
                            ("neither", "No setting trains"), ("unclear", "The verdict depends on the failure bar"),
                            ("either", "No difference the tests can vouch for")):
        chosen = verdicts[verdicts.category == category]
        if len(chosen):
            items = "; ".join(f"{where(v)}: {v.recommendation}" if category not in ("either",) else where(v)
                              for v in chosen.itertuples())
            parts.append(f"{words} ({len(chosen)} of {len(verdicts)}): {items}.")
    return " ".join(parts)


def deep_story(table) -> str:
    """The deep-and-narrow verdict in words, every number from `table` (`deep_narrow.summary`): the collapse counts of
    each shape where some network collapsed (the intervals are in the chapter's table), the shapes where none did,
    and how ReLU's counts at initialisation compare with Chapter 3's bound and with its counts after training."""
    from ..stats import wilson_interval

    parts, quiet, above, moved = [], [], [], []
    for (width, depth), cells in table.groupby(["width", "depth"], sort=False):
        relu = cells[cells.setting == "ReLU"].iloc[0]
        born = wilson_interval(int(relu.born_collapsed), int(relu.runs))
        if born.low > relu.theory:
            above.append(f"width {width}, depth {depth}")
        moved.append(int(relu.collapsed) - int(relu.born_collapsed))
        if cells.collapsed.sum() == 0:
            quiet.append((width, depth))
            continue
        leaky = " and ".join(f"{r.setting.replace('Leaky ReLU ', '')} {r.collapsed}"
                             for r in cells.itertuples() if r.setting.startswith("Leaky"))
        rai = "".join(f", ReLU with RAI {r.collapsed}" for r in cells[cells.setting == deep_narrow.RAI].itertuples())
        parts.append(f"width {width}, depth {depth}: ReLU {relu.collapsed} of {relu.runs} ({relu.born_collapsed} at "
                     f"initialisation; Chapter 3's bound {relu.theory:.2f}), Leaky ReLU {leaky}{rai}")
    text = ("Networks collapsed after training, where any did: " + "; ".join(parts) + ".") if parts else ""
    if quiet:
        shapes = {}
        for width, depth in quiet:
            shapes.setdefault(width, []).append(str(depth))
        where = "; ".join(f"width {w}, depth {', '.join(d)}" for w, d in shapes.items())
        text += f" No network of any setting collapsed at {where}."
    text += (" ReLU's count at initialisation lies within Chapter 3's bound for being born dead in every shape"
             if not above else f" ReLU's count at initialisation lies above Chapter 3's bound at {'; '.join(above)}")
    change = max(moved, key=abs)
    text += (f", and training changed it by at most {abs(change)} network{'s' if abs(change) != 1 else ''} per shape "
             f"({'more' if change > 0 else 'fewer'} collapsed): for ReLU, collapse is decided at initialisation."
             if change else ", and training changed it in no shape: for ReLU, collapse is decided at initialisation.")
    return text.strip()


def rai_story(runs, table, deep_verdicts: dict, images=None) -> str:
    """What RAI did, from the runs (`deep_narrow.frame`), `table` and the decision procedure's comparisons
    (`deep_narrow.decisions`): where it collapsed significantly less or more often than He-initialised ReLU (paired
    McNemar tests, Holm), and whether its collapsed networks had a layer dead or only a faded signal; with `images`
    (flattened test images), a faded signal is measured at initialisation (`fading.initial_fading`). Empty when the
    store has no RAI runs."""
    rai, relu = table[table.setting == deep_narrow.RAI], table[table.setting == "ReLU"]
    sigma = deep_narrow.RAI_SIGMA
    if rai.empty:
        return ""
    pairs = rai.merge(relu, on=["width", "depth"], suffixes=("", "_relu"))
    shape = lambda r: f"width {r.width}, depth {r.depth} ({r.collapsed} of {r.runs} against {r.collapsed_relu})"  # noqa: E731
    def flag(r, which):
        rows = deep_verdicts[r.width, r.depth].comparisons
        return bool(rows[rows.alternative == deep_narrow.RAI][which].any())

    fewer = [shape(r) for r in pairs.itertuples() if flag(r, "better")]
    more = pairs[[flag(r, "worse") for r in pairs.itertuples()]]
    text = ("ReLU with RAI initialisation collapsed significantly less often than with He's at "
            + ("; ".join(fewer) if fewer else "no shape (paired McNemar tests, Holm's correction)") + ".")
    for r in more.itertuples():
        cells = runs[(runs.setting == deep_narrow.RAI) & (runs.width == r.width) & (runs.depth == r.depth)]
        dead = int((cells.collapsed & (cells.dead_layer_start | cells.dead_layer_end)).sum())
        text += (f" It collapsed more often at width {r.width}, depth {r.depth}: {r.collapsed} of {r.runs} against "
                 f"{r.collapsed_relu}, {int(r.born_collapsed)} already at initialisation, and {dead} of those "
                 f"{r.collapsed} had a hidden layer dead on every image.")
        if dead == 0:
            text += (" So these networks did not die: the differences between their outputs for different images "
                     "shrank below the threshold with every unit still active on some images.")
            if images is not None and r.depth >= 12:
                faded = fading.initial_fading(images, widths=(int(r.width),), depth=int(r.depth),
                                              threshold=deep_narrow.COLLAPSE_SPREAD)
                text += " " + fading.fading_sentence(faded, int(r.width), deep_narrow.COLLAPSE_SPREAD)
            else:
                text += (f" RAI draws weights with variance {sigma:g}²/fan-in, {sigma ** 2 / 2:.2f} of He's 2/fan-in, "
                         f"which shrinks the signal a little in every layer, and {r.depth} layers compound it.")
    return text


def verdict_counts(verdicts) -> dict:
    """How the procedure's verdicts over the learning-rate situations fall: `lr_situations`, and per category
    (`lr_prefer`, `lr_avoid`, `lr_either`, `lr_neither`, `lr_unclear`) how many situations."""
    counts = {f"lr_{c}": int((verdicts.category == c).sum()) for c in ("prefer", "avoid", "either", "neither",
                                                                        "unclear")}
    return {"lr_situations": len(verdicts), **counts}


def cell_sentence(table, model: str, optimizer: str, learning_rate: float) -> str:
    """One learning-rate cell in a sentence, every activation's failures with their Wilson interval (Chapter 3
    quotes the seed CNN's)."""
    from ..stats import wilson_interval

    cells = table[(table.model == model) & (table.optimizer == optimizer) & (table.learning_rate == learning_rate)]
    if cells.empty:
        raise ValueError(f"no stored cell for {model}, {optimizer}, learning rate {learning_rate:g}")
    parts = "; ".join(f"{r.setting} in {wilson_interval(int(r.failed), int(r.runs)).text()}" for r in cells.itertuples())
    return (f"the {learning_rates.MODELS[model]} trained with {learning_rates.OPTIMIZER_NAMES[optimizer]} at "
            f"learning rate {learning_rate:g} failed as follows: {parts}")


EARLY_STUDIES = {
    ("mlp", "adam"): ("studies/ch5_lr_mlp_adam.yaml", "studies/ch5_lr_prelu_mlp_adam.yaml"),
    ("mlp", "sgd"): ("studies/ch5_lr_mlp_sgd.yaml", "studies/ch5_lr_prelu_mlp_sgd.yaml"),
    ("seed_cnn", "adam"): ("studies/ch5_lr_cnn_adam.yaml", "studies/ch5_lr_prelu_cnn_adam.yaml"),
    ("seed_cnn", "sgd"): ("studies/ch5_lr_cnn_sgd.yaml", "studies/ch5_lr_prelu_cnn_sgd.yaml"),
}
"""The learning-rate grids the chapter read before they were trained to the end (1–2 epochs on 2,000 images): the
closing note's "before" of each grid that `learning_rates.TRAINED_TO_THE_END` now reads trained to the end."""


def before_after(blocks, store, overrides: dict | None = None) -> "pd.DataFrame":
    """The closing note's table: per learning-rate situation of `blocks` trained to the end, the verdict on the
    early-training grid (`EARLY_STUDIES`) and on the grid trained to the end, each with its budget read from the records.
    FileNotFoundError (naming what is missing) when either grid is not stored."""
    import pandas as pd

    rows = []
    for name in blocks:
        key = LR_BLOCKS[name]
        if not learning_rates.TRAINED_TO_THE_END[key]:
            continue
        verdicts = {}
        for when, paths in (("before", EARLY_STUDIES[key]),
                            ("after", (*block_paths(key, 0, overrides), *block_paths(key, 1, overrides)))):
            runs = learning_rates.frame([r for p in paths for r in study_records(study(p, overrides), store)])
            verdicts[when] = (learning_rates.budget_text(runs), learning_rates.verdicts(runs).set_index("learning_rate"))
        for lr in verdicts["after"][1].index:
            rows.append({"situation": f"{learning_rates.model_name(*key)}, "
                                      f"{learning_rates.OPTIMIZER_NAMES[key[1]]}, lr {lr:g}",
                         "before": verdicts["before"][1].recommendation.get(lr, "not measured"),
                         "before_budget": verdicts["before"][0],
                         "after": verdicts["after"][1].recommendation[lr], "after_budget": verdicts["after"][0]})
    table = pd.DataFrame(rows, columns=["situation", "before", "before_budget", "after", "after_budget"])
    for when in ("before", "after"):  # one budget for every row: in the header; else in each cell
        budgets = table.pop(f"{when}_budget")
        if budgets.nunique() == 1:
            table = table.rename(columns={when: f"{when} ({budgets.iloc[0]})"})
        else:
            table[when] = table[when] + " (" + budgets + ")"
    return table
