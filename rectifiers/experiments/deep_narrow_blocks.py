"""Chapter 8, "do residual connections or normalisation remove deep-and-narrow collapse?": Chapter 5's deep, narrow
MLPs at its narrowest widths (2, 4) and deepest depths (20, 50), rebuilt with a residual connection around every
hidden layer after the first, LayerNorm before every activation, or both (`modern_models.mlp_blocks`).

The blocks study (`STUDY`) keeps everything else of Chapter 5's (`deep_narrow.STUDY`): data, optimiser, budget,
settings and seeds, and a seed draws the same kernels, so every run pairs with the plain run of its shape, setting and
seed. Each network is judged as Chapter 5 judges it: *collapsed* when its output no longer depends on its input
(`deep_narrow.collapsed`, with the same threshold band), and the book's one decision procedure per (block, shape).
It is judged a second time on *learning* (`learning_verdicts`): collapsed, below Chapter 5's near-chance bar or
diverged is a failure. The guide takes that verdict: a residual connection keeps the output from collapsing in
networks that still end near chance, where collapse alone would say "either".
"""

from __future__ import annotations

import pandas as pd

from .. import decision
from ..stats import percent_interval, wilson_interval
from . import deep_narrow
from .deep_narrow_trained import endpoint

STUDY = "studies/ch8_deep_narrow_blocks.yaml"
PLAIN = "plain"
BLOCKS = (PLAIN, "residual", "layernorm", "residual_layernorm")
BLOCK_NAMES = {PLAIN: "plain", "residual": "residual", "layernorm": "LayerNorm", "residual_layernorm": "residual + LN"}
"""Short names, for a figure's axis and a table's columns on a phone."""
BLOCK_WORDS = {PLAIN: "no blocks (Chapter 5)", "residual": "residual connections", "layernorm": "LayerNorm",
               "residual_layernorm": "residual connections and LayerNorm"}
SECTION = "ch8-deep-narrow"
SITUATION = "a deep, narrow MLP with"
"""The start of the guide's rows (`guide.SOURCES`): "a deep, narrow MLP with residual connections, depth 50, …"."""


def stored(store=None) -> tuple[list[dict], list[dict]]:
    """(the blocks study's records, Chapter 5's deep-and-narrow records of both its studies); FileNotFoundError naming
    the study to train while any run of the blocks study is not stored to its last epoch."""
    from ..engine import ResultsStore
    from ..engine.stored_studies import study_records

    store = store if store is not None else ResultsStore()
    return study_records(STUDY, store), [r for path in deep_narrow.STUDIES for r in study_records(path, store)]


def frame(blocks: list[dict], plain: list[dict]) -> pd.DataFrame:
    """One row per run (`deep_narrow.run_row`) with its `block` and `endpoint`: the blocks study's runs and Chapter 5's
    He-initialised runs of the same shapes and settings. `failed` (ended near chance or diverged) uses Chapter 5's bar,
    set by its own widest, shallowest networks, for every block."""
    chapter5 = chapter5_frame(deep_narrow.frame(plain))
    bar = chapter5.attrs["near_chance_bar"]
    runs = pd.DataFrame([{**deep_narrow.run_row(r), "block": r["config"]["block"], "optimizer": r["config"]["optimizer"],
                          "learning_rate": r["config"]["learning_rate"], "late_change": late_change(r)}
                         for r in blocks])
    runs = runs.assign(failed=decision.failed_below(runs.train_accuracy, runs.status == "diverged", bar.value))
    shapes = set(zip(runs.width, runs.depth))
    same = [(w, d) in shapes and s in set(runs.setting) for w, d, s in zip(chapter5.width, chapter5.depth,
                                                                          chapter5.setting)]
    both = pd.concat([chapter5[same], runs.assign(endpoint=endpoint(runs))], ignore_index=True)
    both.attrs["near_chance_bar"] = bar  # the learning verdicts' second bar (`learning_verdicts`)
    return both


def chapter5_frame(chapter5: pd.DataFrame) -> pd.DataFrame:
    """Chapter 5's deep-and-narrow runs (`deep_narrow.frame`), every shape and setting (its RAI initialisation
    included), shaped as `frame` shapes them (block "plain", each run's endpoint, the near-chance bar in `attrs`): what
    `learning_verdicts` judges for Chapter 5's rows of the decision guide."""
    runs = chapter5.assign(block=PLAIN, endpoint=endpoint(chapter5))
    runs.attrs["near_chance_bar"] = deep_narrow.near_chance_bar(chapter5)
    return runs


PLATEAU_EPOCHS = 5
PLATEAU_CHANGE = 0.005
"""The plateau check looks at the change of training accuracy over a run's last `PLATEAU_EPOCHS` epochs; a median
change below `PLATEAU_CHANGE` (0.5 points, Chapter 8's bar) counts as levelled off."""


def late_change(record: dict, epochs: int = PLATEAU_EPOCHS) -> float:
    """The run's training accuracy at its last epoch minus `epochs` epochs before (NaN: diverged or too short)."""
    values = record["history"].get("train_accuracy") or []
    if record["status"] != "complete" or len(values) <= epochs:
        return float("nan")
    return float(values[-1] - values[-1 - epochs])


def plateau_sentence(runs: pd.DataFrame, rise: float = 0.01) -> str:
    """Per block of the blocks study: the networks that learned, the median and largest change of their training
    accuracy over the last `PLATEAU_EPOCHS` epochs; and how many of those that ended near chance still rose by
    `rise` or more (on their way out of it)."""
    parts, still = [], False
    for block in [b for b in _blocks_in(runs) if b != PLAIN]:
        cells = runs[runs.block == block]
        learned, near = cells[cells.endpoint == "learned"].late_change, cells[cells.endpoint == "near chance"]
        rising = int((near.late_change >= rise).sum())
        moved = (f"the {len(learned)} that learned changed by a median of {100 * learned.median():+.1f} points "
                 f"(largest {100 * learned.loc[learned.abs().idxmax()]:+.1f})" if len(learned) else "none learned")
        if len(near):
            moved += f"; {rising} of the {len(near)} near chance rose by {100 * rise:g} or more points"
        parts.append(f"with {BLOCK_WORDS[block]}, {moved}")
        still = still or rising > 0 or (len(learned) > 0 and abs(learned.median()) >= PLATEAU_CHANGE)
    text = "; ".join(parts)
    end = (f" They had not levelled off (a median change of {100 * PLATEAU_CHANGE:g} points or more, or networks "
           f"rising out of chance): the verdicts hold for Chapter 5's budget, not for training to the end."
           if still else " The networks that learned had levelled off.")
    return f"Over the last {PLATEAU_EPOCHS} epochs, training accuracy: {text}.{end}"


def setup_text(runs: pd.DataFrame) -> str:
    """The blocks study's shapes, settings, seeds and budget, from its runs (`frame`)."""
    blocks = runs[runs.block != PLAIN]
    widths = " and ".join(map(str, sorted(blocks.width.unique())))
    depths = " and ".join(map(str, sorted(blocks.depth.unique())))
    alphas = ", ".join(f"{a:g}" for a in sorted(blocks.alpha.dropna().unique()))
    kinds = ", ".join(BLOCK_WORDS[b] for b in _blocks_in(blocks))
    first = blocks.iloc[0]
    return (f"MLPs {widths} units wide and {depths} hidden layers deep, built with {kinds}; ReLU and Leaky ReLU with "
            f"α = {alphas} (He-normal weights, zero biases), {blocks.seed.nunique()} seeds each, "
            f"{first.optimizer.capitalize()} at learning rate {first.learning_rate:g} for {int(first.epochs)} epochs on {int(first.n_train):,} MNIST images ({int(first.steps):,} "
            f"steps): {len(blocks)} runs.")


def _blocks_in(runs: pd.DataFrame) -> list[str]:
    return [b for b in BLOCKS if (runs.block == b).any()]


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """`deep_narrow.summary` per block (Chapter 3's born-dead theory only for the plain ReLU networks), with the
    networks that learned and ended near chance."""
    parts = []
    for block in _blocks_in(runs):
        cell = runs[runs.block == block]
        table = deep_narrow.summary(cell)
        ends = cell.groupby(["width", "depth", "setting"]).endpoint.value_counts().unstack(fill_value=0)
        table = table.join(ends.reindex(columns=["learned", "near chance"], fill_value=0)
                           .rename(columns={"near chance": "near_chance"}), on=["width", "depth", "setting"])
        if block != PLAIN:
            table["theory"] = float("nan")
        parts.append(table.assign(block=block))
    return pd.concat(parts, ignore_index=True)


def verdicts(runs: pd.DataFrame) -> pd.DataFrame:
    """`deep_narrow.verdicts` per block: one row per (block, width, depth), the decision procedure's verdict on
    collapse over the settings, its category, numbers and evidence."""
    parts = []
    for block in _blocks_in(runs):
        words = "" if block == PLAIN else BLOCK_WORDS[block]
        table = deep_narrow.verdicts(runs[runs.block == block], blocks=words).assign(block=block)
        parts.append(table.sort_values(["width", "depth"], kind="stable"))
    return pd.concat(parts, ignore_index=True)


def learning_endpoints(bar: decision.FailureBar) -> decision.Endpoints:
    """What the learning verdicts judge: a network *did not learn* when it collapsed (Chapter 5's bar), ended near
    chance (Chapter 5's near-chance bar, `bar`) or diverged."""
    return decision.Endpoints(
        failure=f"did not learn: collapsed ({deep_narrow.COLLAPSE_BAR.words.split(';')[0]}), or final training "
                f"accuracy below {bar.value:.2f} (Chapter 5's near-chance bar)",
        metric=None, remedy="make the network wider or shallower")


def learning_decisions(runs: pd.DataFrame) -> dict:
    """(block, width, depth) → the decision procedure's verdict on *learning* over the settings: failed = collapsed
    or near chance or diverged (`learning_endpoints`). The verdict is recomputed at each end of both bars (the other
    one at its chosen value): a verdict that changes there is "unclear". Residual connections can keep a network's
    output alive (no collapse) while it still ends near chance, so collapse alone would call such a shape "either"
    where no ReLU network learned."""
    bar, spread_bar = runs.attrs["near_chance_bar"], deep_narrow.COLLAPSE_BAR
    out = {}
    for (block, width, depth), cell in runs.groupby(["block", "width", "depth"], sort=False):
        diverged = cell.status == "diverged"
        near = {end: decision.failed_below(cell.train_accuracy, diverged, end) for end in (bar.value, *bar.ends())}
        flat = {end: decision.failed_below(cell.spread_end, diverged, end)
                for end in (spread_bar.value, *spread_bar.ends())}
        columns, band = {"failed": near[bar.value] | flat[spread_bar.value]}, {}
        for end in bar.ends():  # short names: a verdict that changes names them all, and two shapes may share it
            band[f"accuracy {end:.2f}"] = f"failed_near_{end:g}"
            columns[f"failed_near_{end:g}"] = near[end] | flat[spread_bar.value]
        for end in spread_bar.ends():
            band[f"spread {end:.0e}"] = f"failed_flat_{end:g}"
            columns[f"failed_flat_{end:g}"] = near[bar.value] | flat[end]
        order = sorted(cell.setting.unique(), key=deep_narrow.setting_rank)
        out[block, width, depth] = decision.decide(cell.assign(**columns), learning_endpoints(bar), order=order,
                                                   band=band)
    return out


def learning_verdicts(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (block, width, depth): the verdict on learning (`learning_decisions`), its category, numbers,
    seeds and evidence (each setting's networks learned, near chance, collapsed)."""
    from .. import decision_numbers

    ends = summary(runs)  # per (block, shape, setting): runs, learned, near_chance, collapsed
    rows = []
    for (block, width, depth), judged in learning_decisions(runs).items():
        cells = ends[(ends.block == block) & (ends.width == width) & (ends.depth == depth)]
        parts = "; ".join(f"{r.setting} learned in {r.learned} of {r.runs} (near chance {r.near_chance}, collapsed "
                          f"{r.collapsed})" for r in cells.itertuples())
        words = "" if block == PLAIN else f" with {BLOCK_WORDS[block]}"
        rows.append({"block": block, "width": width, "depth": depth, "recommendation": judged.verdict,
                     "category": judged.category,
                     "numbers": decision_numbers.numbers(judged, learning_endpoints(runs.attrs["near_chance_bar"])),
                     "seeds": int(cells.runs.max()),
                     "evidence": f"MLP {depth}×{width}{words} on MNIST: {parts}. Paired by seed at {depth}×{width}"
                                 f"{words}, a network that did not learn counted as failed: {judged.sentence()}."})
    out = pd.DataFrame(rows)
    return out.sort_values(["block", "width", "depth"], key=lambda c: c.map(BLOCKS.index) if c.name == "block" else c,
                           kind="stable").reset_index(drop=True)


def learning_story(runs: pd.DataFrame, judged: pd.DataFrame) -> str:
    """Per block: the most ReLU networks that learned at any shape, the setting that learned most often, and the
    verdicts on learning (`learning_verdicts`) counted."""
    ends = summary(runs)  # per (block, shape, setting): runs, learned, near_chance, collapsed
    parts = []
    for block in _blocks_in(runs):
        cells, verdicts_ = ends[ends.block == block], judged[judged.block == block]
        relu = cells[cells.setting == "ReLU"]
        best_relu, best = relu.loc[relu.learned.idxmax()], cells.loc[cells.learned.idxmax()]
        said = ", ".join(f"“{c}” at {n}" for c, n in verdicts_.category.value_counts().items())
        relu_text = (f"no ReLU network learned at any shape" if best_relu.learned == 0 else
                     f"ReLU learned in at most {best_relu.learned} of {best_relu.runs} networks of a shape "
                     f"({best_relu.depth}×{best_relu.width})")
        most = ("no network of any setting learned" if best.learned == 0 else
                f"the most of any setting {best.learned} of {best.runs} ({best.setting}, {best.depth}×{best.width})")
        parts.append(f"with {BLOCK_WORDS[block]}, {relu_text}, {most}; the verdict is {said} of the "
                     f"{len(verdicts_)} shapes")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def collapse_table(table: pd.DataFrame) -> pd.DataFrame:
    """The chapter's table: one row per (shape, setting), one column per block, each cell "k of n collapsed
    [Wilson 95 %]"."""
    shown = table.assign(shape=[f"{r.depth}×{r.width}" for r in table.itertuples()],
                         cell=[f"{r.collapsed} of {r.runs} [{percent_interval(r.collapse_low, r.collapse_high)}]"
                               for r in table.itertuples()])
    pivot = shown.pivot_table(index=["width", "depth", "shape", "setting"], columns="block", values="cell",
                              aggfunc="first")
    pivot = pivot[[b for b in BLOCKS if b in pivot.columns]].rename(columns=BLOCK_NAMES)
    pivot = pivot.reset_index().sort_values(["width", "depth", "setting"], key=lambda c: c.map(deep_narrow.setting_rank)
                                            if c.name == "setting" else c, kind="stable")
    return pivot.drop(columns=["width", "depth"]).rename(columns={"shape": "depth × width"}).reset_index(drop=True)


def verdict_table(judged: pd.DataFrame, column: str = "recommendation") -> pd.DataFrame:
    """One row per shape, one column per block: the decision procedure's verdict (`column`: "category" for its
    one-word category, where the full verdicts are too long for a grid)."""
    shown = judged.assign(shape=[f"{d}×{w}" for w, d in zip(judged.width, judged.depth)])
    pivot = shown.pivot_table(index=["width", "depth", "shape"], columns="block", values=column, aggfunc="first")
    pivot = pivot[[b for b in BLOCKS if b in pivot.columns]].rename(columns=BLOCK_NAMES)
    return pivot.reset_index().drop(columns=["width", "depth"]).rename(columns={"shape": "depth × width"})


def story(table: pd.DataFrame, judged: pd.DataFrame) -> str:
    """Per block: the most ReLU networks collapsed at any shape, the most of any setting, and the verdicts counted."""
    parts = []
    for block in _blocks_in(table):
        cells, verdicts_ = table[table.block == block], judged[judged.block == block]
        relu = cells[cells.setting == "ReLU"]
        worst_relu = relu.loc[relu.collapsed.idxmax()]
        worst = cells.loc[cells.collapse_rate.idxmax()]
        counts = verdicts_.category.value_counts()
        said = ", ".join(f"“{c}” at {n}" for c, n in counts.items())
        if worst.collapsed == 0:
            collapse = "no network collapsed at any shape"
        else:
            collapse = (f"ReLU collapsed in at most {wilson_interval(int(worst_relu.collapsed), int(worst_relu.runs)).text()} "
                        f"runs ({worst_relu.depth}×{worst_relu.width}), and the most of any setting was "
                        f"{worst.collapsed} of {worst.runs} ({worst.setting}, {worst.depth}×{worst.width})")
        parts.append(f"with {BLOCK_WORDS[block]}, {collapse}; the verdict is {said} of the "
                     f"{len(verdicts_)} shapes")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def answer(table: pd.DataFrame, judged: pd.DataFrame) -> str:
    """The section's answer in three sentences, from `summary` and `learning_verdicts`: the block with the fewest
    collapsed networks, the block with the most that learned (and their width when they all share one), and the
    verdicts on learning of every block and shape counted. Chapter 5's plain networks are the baseline of each
    count."""
    blocks = [b for b in _blocks_in(table) if b != PLAIN]
    if not blocks:
        raise ValueError("the answer needs runs with a block (residual, layernorm, residual_layernorm); got only "
                         "Chapter 5's plain networks")
    total = table.groupby("block")[["runs", "collapsed", "learned"]].sum()
    plain = total.loc[PLAIN] if PLAIN in total.index else None

    def against(column: str) -> str:
        return "" if plain is None else f" (Chapter 5's plain networks: {int(plain[column])} of {int(plain.runs)})"

    fewest = min(blocks, key=lambda b: (total.collapsed[b], BLOCKS.index(b)))
    collapsed = int(total.collapsed[fewest])
    said = (f"With {BLOCK_WORDS[fewest]}, " + ("no network collapsed" if collapsed == 0 else
            f"{collapsed} networks collapsed, the fewest of any block") + f": {collapsed} of {int(total.runs[fewest])}"
            + against("collapsed") + ".")
    most = max(blocks, key=lambda b: (total.learned[b], -BLOCKS.index(b)))
    cells = table[table.block == most]
    learned = int(total.learned[most])
    widths = sorted(cells[cells.learned > 0].width.unique())
    relu = cells[cells.setting == "ReLU"]
    where = f", all {int(widths[0])} units wide" if len(widths) == 1 and learned > 1 else ""
    said += (f" The most networks learned with {BLOCK_WORDS[most]}: {learned} of {int(total.runs[most])}"
             + against("learned") + f"{where}; ReLU learned in {int(relu.learned.sum())} of {int(relu.runs.sum())} "
             f"of its networks.")
    verdicts_ = judged[judged.block.isin(blocks)].category.value_counts()
    meaning = {"neither": " (every setting failed in most runs)", "unclear": " (the verdict changes with the bar)"}
    counted = ", ".join(f"“{c}”{meaning.get(c, '')} at {n}" for c, n in verdicts_.items())
    winner = ("no block and shape separates ReLU from Leaky ReLU" if "prefer" not in verdicts_ and
              "avoid" not in verdicts_ else "the verdicts name a choice at some shapes (below)")
    return (said + f" Judged on learning, with a block the verdict is {counted} of the {int(verdicts_.sum())} block "
            f"and shape pairs: {winner}.")


def learned_sentence(table: pd.DataFrame) -> str:
    """Per block, over every shape and setting: how many networks learned (not collapsed, above Chapter 5's
    near-chance bar), ended near chance, or collapsed."""
    parts = []
    for block in _blocks_in(table):
        cells = table[table.block == block]
        parts.append(f"{BLOCK_WORDS[block]}: {int(cells.learned.sum())} of {int(cells.runs.sum())} learned, "
                     f"{int(cells.near_chance.sum())} ended near chance, {int(cells.collapsed.sum())} collapsed")
    return "; ".join(parts)


def guide_evidence(store=None) -> list[dict]:
    """One row per (block, shape) of the blocks study: the decision procedure's verdict on learning
    (`learning_verdicts`: collapsed, near chance or diverged is a failure) over ReLU and Leaky ReLU's slopes, with the
    verdict on collapse alone and the plain network's verdict of the same shape as context. FileNotFoundError naming the
    study to train while its runs are not all stored."""
    from .outcomes import budget

    blocks, plain = stored(store)
    runs = frame(blocks, plain)
    judged, collapse = learning_verdicts(runs), verdicts(runs).set_index(["block", "width", "depth"]).recommendation
    spent = budget(blocks[0])
    rows = []
    for v in judged[judged.block != PLAIN].itertuples():
        before = judged[(judged.block == PLAIN) & (judged.width == v.width) & (judged.depth == v.depth)]
        context = (f" Judged on collapse alone (as Chapter 5 judges it): “{collapse[v.block, v.width, v.depth]}”."
                   + (f" Without blocks, Chapter 5's row of this shape: “{before.category.iloc[0]}”."
                      if len(before) else ""))
        rows.append({
            "situation": f"{SITUATION} {BLOCK_WORDS[v.block]}, {v.depth}×{v.width} (depth × width, MNIST, "
                         f"{spent['n_train']:,} images, {spent['epochs']} epochs, {spent['steps']:,} steps)",
            "recommendation": v.recommendation, "category": v.category, "numbers": v.numbers, "seeds": v.seeds,
            "section": SECTION, "studies": [STUDY, deep_narrow.STUDY], "evidence": v.evidence + context})
    return rows
