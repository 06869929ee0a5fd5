"""Chapter 8: ReLU, Leaky ReLU, GELU and PReLU on the networks people train today, at a size two CPU cores train in
minutes: the MNIST-1D authors' reference MLP and CNN, a residual network with BatchNorm, and (when stored) a
pre-LayerNorm transformer.

Every network has two study files (`NETWORKS`), read with Chapter 6's machinery (`rectifier_family`): paired seeds,
the test accuracy at the last epoch, differences from ReLU with t intervals and the book's one decision procedure
(Holm over every variant of one network). This module adds what Chapter 8 asks besides: the published accuracies our
ReLU runs are set against, the plateau of the learning curves, the guide's rows, and which of the chapter's studies
are not stored yet (Chapter 7's "How far the evidence goes").
"""

from __future__ import annotations

import pandas as pd

from .. import decision_numbers
from ..prose import MISSING as NOT_STORED
from ..engine.study import REPOSITORY
from . import batchnorm_grid, family_guide, family_report, rectifier_family
from .outcomes import budget
from .rectifier_family import ENDPOINTS, at_epoch, at_last_epoch, differences_from_relu

NETWORKS = {
    "mlp": ("studies/ch8_mnist1d_mlp.yaml", "studies/ch8_mnist1d_mlp_prelu.yaml"),
    "cnn": ("studies/ch8_mnist1d_cnn.yaml", "studies/ch8_mnist1d_cnn_prelu.yaml"),
    "resnet": ("studies/ch8_mnist1d_resnet.yaml", "studies/ch8_mnist1d_resnet_prelu.yaml"),
    "transformer": ("studies/ch8_mnist1d_transformer.yaml", "studies/ch8_mnist1d_transformer_prelu.yaml"),
}
"""Each network's study files: the activations crossed with Leaky ReLU's slopes, then PReLU (its own initial slope)."""

NETWORK_NAMES = {"mlp": "reference MLP", "cnn": "reference CNN", "resnet": "ResNet-1D",
                 "transformer": "transformer"}
SHORT_NAMES = {"mlp": "MLP", "cnn": "CNN", "resnet": "ResNet", "transformer": "transformer"}
"""The networks as a figure's panel titles name them: three panels side by side must fit a phone's width."""

REFERENCE_STUDY = "studies/ch8_mnist1d_reference.yaml"
PUBLISHED = {"logistic regression": 0.32, "mlp": 0.68, "cnn": 0.94}
"""Test accuracies on MNIST-1D reported by Greydanus & Kobak (the `mnist1d` README and their paper)."""

SITUATIONS = {
    "resnet": "a residual network with BatchNorm (ResNet-1D, MNIST-1D)",
    "cnn": "a plain CNN on MNIST-1D (the authors' reference CNN)",
    "mlp": "a plain MLP on MNIST-1D (the authors' reference MLP)",
    "transformer": "a transformer with LayerNorm (pre-LN, MNIST-1D)",
}
"""The decision guide's situation per network, in the guide's order."""

SECTION, MISSING_SECTION = "ch8-final", "ch8-not-measured"

UNMEASURED = (
    ("transformers (a pre-LayerNorm encoder on MNIST-1D)",
     ("studies/ch8_mnist1d_transformer.yaml", "studies/ch8_mnist1d_transformer_prelu.yaml")),
    ("learning-rate schedules (warm-up, cosine decay) and AdamW",
     ("studies/ch8_adamw_resnet.yaml", "studies/ch8_adamw_transformer.yaml")),
    *((f"BatchNorm at high learning rates with {name} (the seed CNN with BatchNorm, beside Chapter 5's grid)",
       tuple(batchnorm_grid.study_paths(optimizer))) for optimizer, name in (("adam", "Adam"), ("sgd", "plain SGD"))),
    ("a CNN with BatchNorm on harder data (Fashion-MNIST)",
     ("studies/ch8_fashion_bncnn.yaml", "studies/ch8_fashion_bncnn_prelu.yaml")),
    ("deep, narrow perceptrons with residual connections and LayerNorm",
     ("studies/ch8_deep_narrow_blocks.yaml",)),
)
"""The questions Chapter 8's study files ask that stay open until their runs are stored: (the topic, its studies)."""

PLATEAU_SHARE = 4
PLATEAU_PP = 0.5
"""A variant has reached its plateau when the seed median's mean over the last quarter (1 / `PLATEAU_SHARE`) of its
epochs differs from its mean over the quarter before by less than `PLATEAU_PP` percentage points: epochs 151–200
against 101–150 for a 200-epoch run, 76–100 against 51–75 for a 100-epoch one."""


def chapter_studies(network: str, **overrides) -> list:
    """The network's studies as written in `NETWORKS`, settings overridden as `rectifier_family.chapter_studies`."""
    return rectifier_family.chapter_studies(network, NETWORKS, **overrides)


def gather_network(network: str, store=None, *, train: bool = False, studies=None, progress: bool = False):
    """The network's stored runs (`rectifier_family.FamilyResults`, read at the last snapshot epoch)."""
    return rectifier_family.gather_family(network, store, train=train, studies=studies, registry=NETWORKS,
                                          progress=progress)


def final_and_differences(results) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The runs at the epoch read and their paired differences from ReLU; (None, None) without a stored pair."""
    try:
        final = at_epoch(results.snapshots(), results.epoch)
    except (ValueError, AttributeError):
        return None, None
    try:
        diffs = differences_from_relu(final)
    except ValueError:  # ReLU's runs alone (or no pair)
        return final, None
    return final, (diffs if not diffs.empty else None)


def complete_history(results) -> pd.DataFrame:
    """The per-epoch history of the runs that reached the epoch read (a run still training is left out)."""
    history = results.history()
    if history.empty:
        return history
    reached = history.groupby(["variant", "seed"]).epoch.transform("max") >= results.epoch
    return history[reached & (history.epoch <= results.epoch)]


def reference_table(finals: dict[str, pd.DataFrame | None]) -> pd.DataFrame:
    """Our ReLU runs of the authors' reference networks at the epoch read beside their published accuracy: mean,
    lowest and highest seed."""
    rows = []
    for network in ("mlp", "cnn"):
        final = finals.get(network)
        relu = final[final.activation == "relu"] if final is not None else pd.DataFrame()
        if relu.empty:
            continue
        acc = relu.test_accuracy.astype(float)
        rows.append(dict(network=NETWORK_NAMES[network], published=PUBLISHED[network], mean=acc.mean(),
                         lowest=acc.min(), highest=acc.max(), seeds=len(acc)))
    return pd.DataFrame(rows)


def reference_sentence(table: pd.DataFrame) -> str:
    """e.g. "reference MLP 0.661 (seeds 0.650–0.672, 3 seeds; published 0.68); ..."."""
    if table.empty:
        return family_report.MISSING
    parts = [f"{r.network} {r.mean:.3f} (seeds {r.lowest:.3f}–{r.highest:.3f}, {r.seeds} seeds; published "
             f"{r.published:.2f})" for r in table.itertuples()]
    order = ("the same ordering as published (logistic regression "
             f"{PUBLISHED['logistic regression']:.2f} < MLP < CNN)" if len(table) == 2
             and table["mean"].iloc[0] < table["mean"].iloc[1] else "")
    return "; ".join(parts) + (f": {order}" if order else "")


def setup_sentence(records: list[dict]) -> str:
    """The data's generation arguments and the training budget, read from the stored records."""
    if not records:
        return family_report.MISSING
    exp, config = records[0]["experiment"], records[0]["config"]
    gen = exp["data_generation"]
    spent = budget(records[0])
    return (f"{gen['generator']} from mnist1d {gen['package_version']}, {gen['num_samples']:,} signals of length "
            f"{gen['final_seq_length']} (seed {gen['seed']}, train split {gen['train_split']:g}): "
            f"{exp['n_train']:,} training and {exp['n_test']:,} test signals; {config['optimizer'].capitalize()} at "
            f"learning rate {config['learning_rate']:g}, batch {config['batch_size']}, {spent['epochs']} epochs = "
            f"{spent['steps']:,} steps")


def budget_text(results) -> str:
    """A network's training budget as its study plans it (stored or not): "50 epochs of 4,000 signals, batch 100 =
    2,000 steps"."""
    plan = results.parts[0].plan
    config = plan.study.configs()[0]
    n = len(plan.data_for(config).y_train)
    epochs = results.epoch
    return (f"{epochs} epochs of {n:,} signals, batch {config.batch_size} = "
            f"{-(-n // config.batch_size) * epochs:,} steps")


def plateau(history: pd.DataFrame, window: int | None = None) -> pd.DataFrame:
    """Per variant: the seed median of the test accuracy averaged over the last `window` epochs (default: the last
    quarter, `PLATEAU_SHARE`) and over the window before, their difference in percentage points, and whether it is
    below `PLATEAU_PP` (converged)."""
    rows = []
    last = int(history.epoch.max())
    window = min(window or max(1, last // PLATEAU_SHARE), last // 2)  # a short run (train mode): its two halves
    if window < 1:
        return pd.DataFrame(columns=["variant", "late", "before", "change_pp", "converged"])
    for name in rectifier_family.variant_order(history):
        curve = history[history.variant == name].groupby("epoch").test_accuracy.median()
        late = curve[(curve.index > last - window)].mean()
        before = curve[(curve.index > last - 2 * window) & (curve.index <= last - window)].mean()
        change = 100 * (late - before)
        rows.append(dict(variant=name, late=late, before=before, change_pp=change,
                         converged=bool(abs(change) < PLATEAU_PP)))
    out = pd.DataFrame(rows)
    out.attrs.update(window=window, last=last)
    return out


def plateau_sentence(by_network: dict[str, pd.DataFrame]) -> str:
    """Which networks' variants all reached their plateau, and which did not, with the largest change."""
    parts = []
    for network, table in by_network.items():
        if table is None or table.empty:
            continue
        parts.append(f"{NETWORK_NAMES[network]} ({windows_text(table)}): {plateau_state(table)}")
    return "; ".join(parts) if parts else family_report.MISSING


def windows_text(table: pd.DataFrame) -> str:
    """The two windows a `plateau` table compares: "epochs 39–50 against 27–38"."""
    window, last = table.attrs["window"], table.attrs["last"]
    return f"epochs {last - window + 1}–{last} against {last - 2 * window + 1}–{last - window}"


def plateau_state(table: pd.DataFrame) -> str:
    """One `plateau` table in words: whether every variant levelled off (else which did not), and the largest
    change."""
    worst = table.loc[table.change_pp.abs().idxmax()]
    moving = table[~table.converged]
    state = (f"every activation's median changed by less than {PLATEAU_PP:g} pp" if moving.empty else
             f"{len(moving)} of {len(table)} still moved by {PLATEAU_PP:g} pp or more ({', '.join(moving.variant)})")
    return f"{state}; the largest change, {worst.variant}, {family_report._pp(worst.change_pp)} pp"


def plateau_evidence(records: list[dict], window: int | None = None) -> str:
    """Whether the runs had levelled off by the epoch the guide reads, for a row's evidence: "Levelled off? Over
    epochs 39–50 against 27–38: …" (`plateau` with its `window`, `plateau_state`)."""
    table = plateau(rectifier_family.family_history(records), window=window)
    if table.empty:
        return ""
    return f"Levelled off? Test accuracy's seed median over {windows_text(table)}: {plateau_state(table)}."


def _records(path: str, store) -> list[dict] | None:
    """Every run of the study file, or None while any is not stored to its last epoch (cheap: one run first)."""
    from ..engine import load_run_data, load_study, run_key
    from ..engine.stored_studies import study_records

    study = load_study(REPOSITORY / path)
    first = study.configs()[0]
    record = store.get(run_key(first, load_run_data(first)))
    if record is None or record["status"] == "partial":
        return None
    try:
        return study_records(study, store, file=path)
    except FileNotFoundError:
        return None


def _store(store):
    from ..engine import ResultsStore

    return store if store is not None else ResultsStore()


def unmeasured(store=None) -> list[tuple[str, tuple[str, ...]]]:
    """The topics of `UNMEASURED` whose studies are not all stored, each with its study files not stored yet."""
    store = _store(store)
    still = [(topic, tuple(p for p in paths if _records(p, store) is None)) for topic, paths in UNMEASURED]
    return [(topic, paths) for topic, paths in still if paths]


def measured_text(store=None) -> str:
    """The topics of `UNMEASURED` with at least one study stored, as Chapter 7's "How far the evidence goes" names
    them ("…; in part" inside the topic's brackets, or "… (in part)", while some of its studies are not stored); ""
    when none is."""
    store = _store(store)
    still = dict(unmeasured(store))
    said = [(in_part(topic) if topic in still else topic) for topic, paths in UNMEASURED
            if len(still.get(topic, ())) < len(paths)]
    return "; ".join(said)


def in_part(topic: str) -> str:
    """"topic (what); in part)" or "topic (in part)": a topic of `UNMEASURED` answered by some of its studies."""
    return f"{topic[:-1]}; in part)" if topic.endswith(")") else f"{topic} (in part)"


def unmeasured_markdown(store=None, extra=(), more=()) -> str:
    """Chapter 7's list of what the guide has no evidence for: `extra` lines, then the open topics `more` of other
    chapters ((topic, study files not stored), e.g. `gan.unmeasured`) and every open topic of Chapter 8, each with the
    command that trains it."""
    lines = [f"- {line}" for line in extra]
    still = [*more, *unmeasured(store)]
    planned = dict(UNMEASURED)
    for topic, paths in still:
        if len(paths) < len(planned.get(topic, paths)):  # some of the topic's studies are stored, and answer it in part
            lines.append(f"- {topic}: measured in part; still to train: {', '.join(paths)};")
        else:
            lines.append(f"- {topic}: its runs are not stored yet ({', '.join(paths)});")
    if still:
        lines.append("\nEach study file named above trains with `python -m rectifiers study FILE`.")
    return "\n".join(lines)


def _missing_row(network: str, path: str) -> dict:
    return dict(situation=SITUATIONS[network], recommendation=NOT_STORED,
                evidence=f"the runs of {path} are not all stored yet; train them with: python -m rectifiers study "
                     f"{path}", seeds=None, section=MISSING_SECTION, studies=[])


def guide_evidence(store=None) -> list[dict]:
    """One row per network of `SITUATIONS`: the decision procedure's verdict over every variant against ReLU, from
    the network's studies once every run of its first study is stored (PReLU's study joins when it is stored too);
    a row that says which study to train otherwise."""
    store = _store(store)
    rows = []
    for network, situation in SITUATIONS.items():
        main, prelu = NETWORKS[network]
        records = _records(main, store)
        if records is None:
            rows.append(_missing_row(network, main))
            continue
        studies = [main]
        more = _records(prelu, store)
        if more is not None:
            records, studies = records + more, studies + [prelu]
        final = at_last_epoch(records)
        diffs = differences_from_relu(final)
        judged = family_guide.judge(final, set(final.activation) - {"relu"})
        spent = budget(records[0])
        evidence = (f"MNIST-1D, {NETWORK_NAMES[network]}, {spent['n_train']:,} training signals, epoch "
                    f"{spent['epochs']} ({spent['steps']:,} steps), test accuracy minus ReLU's over "
                    f"{int(diffs.n_seeds.min())} paired seeds: "
                    + "; ".join(f"{family_report.gap_text(r)}, Holm p = {r.p_holm:.2f}" for r in diffs.itertuples())
                    + ("" if more is not None else f" (PReLU: {prelu} not stored yet)") + ". "
                    + plateau_evidence(records))
        rows.append(dict(situation=situation, recommendation=judged.verdict, evidence=evidence,
                         seeds=int(diffs.n_seeds.min()), section=SECTION, studies=studies,
                         rule=family_guide.RULE, numbers=decision_numbers.numbers(judged, ENDPOINTS)))
    return rows


LIVE_CHOICES = [("ReLU", ("relu", 0.01)), ("Leaky ReLU α=0.01", ("leaky_relu", 0.01)),
                ("Leaky ReLU α=0.1", ("leaky_relu", 0.1)), ("Leaky ReLU α=0.3", ("leaky_relu", 0.3)),
                ("GELU", ("gelu", 0.01)), ("PReLU (starts at 0.25)", ("prelu", 0.25))]
"""The live explorer's activations: the chapter's."""


def live_networks(networks) -> dict[str, dict]:
    """The live explorer's networks: reader's name → the model, batch size and learning rate of its study."""
    out = {}
    for network in networks:
        config = chapter_studies(network)[0].configs()[0]
        out[NETWORK_NAMES[network]] = dict(model=config.model, batch_size=config.batch_size,
                                           learning_rate=config.learning_rate)
    return out


def stored_note(network: str, results, title: str | None = None) -> str:
    """What of the network's studies is stored, in a line per study: complete, or how many runs are missing and the
    command that trains them; every stored file that could not be used is named. `title`: the first line (default:
    the network's name)."""
    lines = []
    for part in results.parts:
        where = part.plan.study.source or part.plan.study.name
        for problem in part.unusable:
            lines.append(f"{where}: a stored file could not be used and is left out: {problem}")
        if part.missing:
            lines.append(f"{where}: {len(part.missing)} of {len(part.plan.runs)} runs not stored to epoch "
                         f"{results.epoch} yet\n    train them with: python -m rectifiers study {where}")
        elif not part.unusable:
            lines.append(f"{where}: all {len(part.plan.runs)} runs stored up to epoch {results.epoch}")
    return f"{title or 'The ' + NETWORK_NAMES[network]}:\n" + "\n".join(f"  {line}" for line in lines)
