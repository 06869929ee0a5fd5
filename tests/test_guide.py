"""The decision guide: every row backed by stored runs of a study, every number computed, every link real."""

from __future__ import annotations

import collections
import dataclasses
import re
from html import escape as html_escape

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT
from rectifiers.engine import ResultsStore, load_study, plan
from rectifiers.experiments import guide, short_answer

GUIDE = NOTEBOOKS / "07_decision_guide.ipynb"
INTRO = ROOT / "book" / "intro.md"


@pytest.fixture(scope="module")
def rows():
    return guide.guide_rows(ResultsStore())


def test_every_measured_row_is_backed_by_the_stored_runs_of_its_studies(rows, monkeypatch):
    from rectifiers.engine import study as study_module

    # Only the runs' statuses matter here: the plan's time estimate would read every stored record again per study.
    monkeypatch.setattr(study_module, "_seconds_per_epoch", lambda *args: (1.0, "not estimated"))
    measured = [r for r in rows if r.seeds is not None]
    assert measured, "the guide has no measured row"
    unstored = {}  # per study, planned once: many rows share a study
    for row in measured:
        assert row.studies, f"{row.id}: no study behind a measured row"
        assert row.seeds >= 2, f"{row.id}: a comparison on {row.seeds} seed(s) is no evidence"
        for path in row.studies:
            if path not in unstored:
                the_plan = plan(load_study(ROOT / path), ResultsStore())
                unstored[path] = [r.key for r in the_plan.runs if r.epochs_done == 0 or r.status == "blocked"]
            assert not unstored[path], f"{row.id}: runs of {path} not stored: {unstored[path]}"


def test_the_guide_covers_the_situations_the_book_promises(rows):
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids)), f"a situation appears twice: {ids}"
    groups = {guide.group_of(r) for r in rows}
    assert {"standard", "learning_rate", "deep_narrow", "gan", "harder_data", "family", "cost", "defaults"} <= groups, groups


def test_no_number_is_typed_in_the_guide_s_markdown():
    for cell in nbformat.read(GUIDE, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", cell.source)  # roles: glued values, references
        text = re.sub(r"^\([\w-]+\)=$", "", text, flags=re.M)  # section labels
        assert not re.search(r"\d", text), f"a number is typed in the guide: {text!r}"


def test_every_row_links_to_a_section_that_exists(rows):
    html = guide.guide_html(rows)
    pages = guide.section_pages()
    for row in rows:
        assert f'href="{pages[row.section]}.html#{row.section}"' in html
        assert (NOTEBOOKS / f"{pages[row.section]}.ipynb").is_file()
    with pytest.raises(ValueError, match="links to section 'nowhere', which no notebook defines"):
        guide.guide_html([guide.GuideRow("x", "s", "either", "e", 2, "nowhere", ())])


def test_a_row_naming_a_missing_study_is_refused(monkeypatch):
    monkeypatch.setattr(guide, "default_slopes_row", lambda: guide.GuideRow(
        "defaults", "s", "r", "e", None, "ch1-defaults", ("studies/no_such_study.yaml",)))
    with pytest.raises(ValueError, match="names study studies/no_such_study.yaml, which does not exist"):
        guide.guide_rows(sources=())


def test_every_measured_row_is_a_verdict_of_the_decision_procedure(rows):
    categories = ("prefer", "avoid", "either", "neither", "unclear", "not measurable here")
    for row in rows:
        if row.seeds is not None:
            assert row.recommendation.startswith(categories), row
    assert any(r.recommendation.startswith(("neither", "avoid")) for r in rows)
    assert all("PReLU" not in r.recommendation or "slope starting at" in r.recommendation for r in rows)


# The short answer: at most five lines, each the rows' verdicts counted, with the number that decided it and a link.

def _pasted(text: str, key_prefix: str) -> list[str]:
    """The short-answer section's list items (up to the next heading) and the answer keys they paste."""
    section = re.split(r"^#+ ", text.split("The short answer", 1)[1], flags=re.M)[0]
    items = [line for line in section.splitlines() if re.match(r"^\s*[-*] ", line)]
    keys = [re.search(rf"{re.escape(key_prefix)}(answer_\w+?)(?::myst)?`", line) for line in items]
    assert all(keys), f"a line of the short answer pastes no answer: {items}"
    return [k.group(1) for k in keys]


def test_the_intro_and_chapter_7_open_with_at_most_five_lines_of_the_short_answer():
    topics = [f"answer_{key}" for key, _ in short_answer.TOPICS]
    assert len(topics) <= short_answer.MAX_LINES == 5
    cells = nbformat.read(GUIDE, as_version=4).cells
    markdown = [c.source for c in cells if c.cell_type == "markdown"]
    assert markdown[1].splitlines()[1] == "## The short answer", "Chapter 7's first section is the short answer"
    assert _pasted(markdown[1], "`") == topics
    intro = INTRO.read_text(encoding="utf-8")
    assert intro.index("## The short answer") < intro.index("Why, in short"), "the intro's short answer comes first"
    assert _pasted(intro, "../notebooks/07_decision_guide.ipynb::") == topics
    code_before = [c for c in cells[:cells.index(next(c for c in cells if "## The short answer" in c.source))]
                   if c.cell_type == "code"]
    assert all({"remove-input"} & set(c.metadata.get("tags", [])) for c in code_before), \
        "a plumbing cell above the short answer is shown to readers"


def test_every_line_is_the_guide_rows_verdicts_with_their_deciding_number_and_a_link(rows):
    by_id = {r.id: r for r in rows}
    answer = short_answer.lines(rows)
    assert [a.key for a in answer] == [key for key, _ in short_answer.TOPICS], "a line has no rows behind it"
    covered = [i for a in answer for i in a.rows]
    # Only the table shows the cost row and a row whose runs are not stored yet (Chapter 8's, until trained).
    spoken = [r.id for r in rows if r.id != "cost" and (r.seeds is not None or r.id == "defaults")]
    assert sorted(covered) == sorted(spoken), "a row is in no line, or in two"
    pages = guide.section_pages()
    for line in answer:
        behind = [by_id[i] for i in line.rows]
        assert line.counts == dict(collections.Counter(r.category for r in behind)), line
        decided = by_id[line.deciding_row]
        assert decided.id in line.rows and line.section == decided.section and line.section in pages
        assert re.search(r"\d", line.number), f"{line.key}: no number"
        assert f"<{decided.section}>`)" in line.markdown(), f"{line.key}: no link to its evidence"
        said = re.sub(r"^where one (?:did|was), ", "", line.then) or line.gist  # a minority's verdict: "where one did"
        verb = said.split(" ")[0]
        if verb in ("prefer", "avoid"):  # only what every row of that verdict names, nowhere told the opposite
            settings = said[len(verb) + 1:].split(" or ")
            judged = [r for r in behind if r.category == verb]
            assert all(s in short_answer.named(r, verb) for r in judged for s in settings), line
            candidates = [c for c in decided.numbers["comparisons"] if c["alternative"] in settings]
            assert candidates and line.number.endswith(guide.number_text(decided, min(candidates, key=guide._p))), line
        else:
            assert line.number.endswith(guide.deciding_number(decided)), line
        if line.gist == "it does not matter":
            assert set(line.counts) == {"either"}, line
        if line.gist == "mostly, it does not matter":
            assert 2 * line.counts["either"] > len(line.rows) and decided.category == "either", line
        if line.gist.startswith("no setting") and "in most situations" not in line.gist:
            assert not {"prefer", "avoid"} & set(line.counts), line
        if "in most situations" in line.gist:  # the verdict that names a setting came from a minority of the rows
            assert 2 * line.counts[verb] < len(line.rows), line
        elif verb in ("prefer", "avoid"):
            assert 2 * line.counts[verb] >= len(line.rows), line
    assert answer[-1].gist == "pass α explicitly" and "α = 0.3" in answer[-1].number  # Keras 3's default, measured


def _row(id_, verdict, failed, optimizer="adam", metric="test accuracy", p=(1.0, 1.0), better=(), worse=()):
    """A guide row with hand-made numbers (the rule's logic, apart from the stored runs)."""
    from rectifiers.decision import CATEGORIES

    settings = list(failed)
    comparisons = [{"alternative": s, "baseline": "ReLU", "seeds": 10, "alternative_failed": failed[s],
                    "baseline_failed": failed["ReLU"], "p_failures_holm": p[0], "difference": 0.01,
                    "difference_low": -0.02, "difference_high": 0.04, "p_metric_holm": p[1],
                    "better": s in better, "worse": s in worse} for s in settings if s != "ReLU"]
    category = next(c for c in CATEGORIES if verdict.startswith(c))
    numbers = {"category": category, "metric": metric, "higher_is_better": True, "failed": failed,
               "runs": {s: 10 for s in settings}, "comparisons": comparisons}
    return guide.GuideRow(id_, f"situation {id_}", verdict, "e", 10, "ch5-learning-rate", (), numbers, optimizer)


def test_the_rule_never_says_more_than_the_rows():
    relu_fails = {"ReLU": 6, "Leaky ReLU α=0.01": 0, "Leaky ReLU α=0.3": 0}
    unclear = _row("learning_rate_1", "unclear (prefer Leaky ReLU α=0.3 with the bar at 0.2; either with the bar at 0.4)",
                   relu_fails, p=(0.01, 1.0), better=("Leaky ReLU α=0.3",))
    neither = _row("learning_rate_2", "neither: every setting failed in most of its runs; lower the learning rate",
                   {"ReLU": 10, "Leaky ReLU α=0.01": 9, "Leaky ReLU α=0.3": 10})
    line = short_answer.lines([unclear, neither])[0]
    assert line.gist == "no setting is shown to help; lower the learning rate", line  # unclear never becomes prefer
    prefer = _row("learning_rate_3", "prefer Leaky ReLU α=0.01 or 0.3", relu_fails, p=(0.02, 1.0),
                  better=("Leaky ReLU α=0.01",))
    prefer_03 = _row("learning_rate_4", "prefer Leaky ReLU α=0.3", relu_fails, p=(0.001, 1.0), better=("Leaky ReLU α=0.3",))
    line = short_answer.lines([unclear, prefer, prefer_03])[0]
    assert line.gist == "prefer Leaky ReLU α=0.3" and line.counts == {"unclear": 1, "prefer": 2}
    few = short_answer.lines([unclear, neither, _row("learning_rate_11", neither.recommendation, neither.numbers["failed"]),
                              prefer_03])[0]  # preferred in 1 of 4 situations: no answer for the other 3
    assert few.gist == "no setting is shown to help in most situations" and few.then == \
        "where one did, prefer Leaky ReLU α=0.3", few
    assert "most situations, *neither* in 2 of 4 situations (*unclear* in 1, *prefer* in 1); where one did, prefer " \
           "Leaky ReLU α=0.3 — situation learning_rate_4: Leaky ReLU α=0.3 failed 0 of 10" in few.markdown(
        pages={"ch5-learning-rate": "05_x"}) and few.deciding_row == "learning_rate_4"
    assert "(*unclear* in 1, *prefer* in 1); where one did" in few.html(pages={"ch5-learning-rate": "05_x"}).replace(
        "<em>", "*").replace("</em>", "*")
    assert line.deciding_row == "learning_rate_4" and "failed 0 of 10 vs ReLU's 6 of 10 (Holm p = .001)" in line.number
    assert "*prefer* in 2 of 3 situations (*unclear* in 1)" in line.markdown(pages={"ch5-learning-rate": "05_x"})
    avoided = _row("learning_rate_5", "avoid Leaky ReLU α=0.3", relu_fails, p=(0.01, 1.0), worse=("Leaky ReLU α=0.3",))
    line = short_answer.lines([prefer, prefer_03, avoided])[0]
    assert "α=0.3" not in line.gist, "a setting some row avoids is not the one to prefer"
    either = _row("learning_rate_6", "either", {"ReLU": 0, "Leaky ReLU α=0.01": 0, "Leaky ReLU α=0.3": 0})
    line = short_answer.lines([either, unclear])
    assert [(a.key, a.gist) for a in line] == [("ordinary", "it does not matter"), ("units_die", "no setting is "
                                                                                   "shown to help")]
    mostly = short_answer.lines([either, _row("learning_rate_8", "either", either.numbers["failed"]),
                                 _row("learning_rate_9", "either", either.numbers["failed"]),
                                 _row("learning_rate_10", "prefer Leaky ReLU α=0.3", either.numbers["failed"], p=(1.0, 0.01),
                                      better=("Leaky ReLU α=0.3",))])[0]
    assert mostly.gist == "mostly, it does not matter" and mostly.counts == {"either": 3, "prefer": 1}
    assert "*either* in 3 of 4 situations (*prefer* in 1)" in mostly.markdown(pages={"ch5-learning-rate": "05_x"})
    sgd = _row("learning_rate_7", "avoid Leaky ReLU α=0.3", relu_fails, optimizer="sgd", worse=("Leaky ReLU α=0.3",))
    assert short_answer.lines([sgd])[0].key == "plain_sgd" and short_answer.lines([sgd])[0].gist == \
        "avoid Leaky ReLU α=0.3"
    early = dataclasses.replace(either, situation="situation (early training: 2,000 images, 1 epoch, 63 steps)")
    assert short_answer.lines([early])[0].gist == \
        "it does not matter, after early training only (2,000 images, 1 epoch, 63 steps)"  # its budget said
    assert short_answer.lines([early, either])[0].gist == "it does not matter"  # one row trained to the end
    pages = {"ch5-learning-rate": "05_x"}
    assert short_answer.pasted([either], pages)["gan"].markdown.endswith("not measured (no stored runs)")
    assert 'href="../notebooks/05_x.html#ch5-learning-rate">Chapter 5</a>' in short_answer.pasted([either], pages)[
        "ordinary"].html
    with pytest.raises(ValueError, match="links to section 'ch5-learning-rate', which no notebook defines"):
        short_answer.lines([either])[0].markdown(pages={})


def test_the_deciding_number_is_the_test_that_decided():
    both = _row("x", "prefer Leaky ReLU α=0.3", {"ReLU": 6, "Leaky ReLU α=0.01": 5, "Leaky ReLU α=0.3": 0},
                p=(0.04, 0.2), better=("Leaky ReLU α=0.3",))
    assert guide.deciding_number(both) == "Leaky ReLU α=0.3 failed 0 of 10 vs ReLU's 6 of 10 (Holm p = .040)"
    metric = _row("y", "either", {"ReLU": 0, "Leaky ReLU α=0.3": 0}, p=(1.0, 0.5))
    assert guide.deciding_number(metric) == ("Leaky ReLU α=0.3 +1.0 pp test accuracy vs ReLU (95 % CI −2.0 to "
                                             "+4.0; Holm p = .500)")
    neither = _row("z", "neither: every setting failed in most of its runs; lower the learning rate",
                   {"ReLU": 10, "Leaky ReLU α=0.3": 8})
    assert guide.deciding_number(neither) == "ReLU failed 10 of 10; the fewest, Leaky ReLU α=0.3, 8 of 10"
    assert guide.failure_counts(neither) == "ReLU\u00a010, α=0.3\u00a08 of 10"  # a count never wraps from its name


def test_the_guide_table_shows_counts_the_deciding_number_and_details_on_demand(rows):
    html = guide.guide_html(rows)
    assert html.count("<tr>") == len(rows) + 1 and html.count("<details>") == len(rows)
    for row in rows:
        assert html_escape(guide.deciding_number(row)) in html and html_escape(guide.failure_counts(row)) in html
        assert html_escape(row.evidence) in html  # the full sentence, inside its <details>
    cells = re.findall(r'<td data-label="Failed runs">(.*?)</td>', html)
    assert all(len(c) < 90 for c in cells), "a failed-runs cell is a sentence, not counts"


@pytest.mark.slow
def test_the_guide_over_an_empty_store_says_which_runs_are_missing_and_how_to_train_them(notebook_runner, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    glued = notebook_runner("07_decision_guide", results_dir=str(empty))  # completes: no traceback
    rows = {row.id: row for row in guide.guide_rows(ResultsStore(empty))}
    for group in ("standard", "learning_rate", "deep_narrow", "gan"):
        assert rows[group].recommendation == guide.MISSING
        assert "python -m rectifiers study studies/" in rows[group].evidence, rows[group].evidence
    assert all(f"answer_{key}" in glued for key, _ in short_answer.TOPICS)
    assert glued["ch7_modern_measured"] == "nothing else yet"  # "How far the evidence goes" claims no Chapter 8 study
    assert "no stored snapshots" not in rows["standard"].evidence
    assert "decision-guide" in guide.guide_html(list(rows.values()))


def test_a_line_counts_the_verdicts_of_the_networks_people_train_today_apart():
    failed = {"ReLU": 0, "Leaky ReLU α=0.01": 0, "Leaky ReLU α=0.3": 0}
    plain = [_row("standard", "either", failed), _row("learning_rate_6", "either", failed)]
    modern = [_row("modern_resnet", "either", failed), _row("batchnorm_2", "avoid Leaky ReLU α=0.3", failed,
                                                          p=(1.0, 0.01), worse=("Leaky ReLU α=0.3",))]
    line = short_answer.lines(plain + modern)[0]
    assert line.key == "ordinary" and line.modern == {"either": 1, "avoid": 1}
    text = line.markdown(pages={"ch5-learning-rate": "05_x", "ch4-seeds": "04_x"})
    assert f"(*avoid* in 1; of the 2 {short_answer.MODERN_WORDS}: *avoid* in 1, *either* in 1)" in text
    assert short_answer.lines(plain)[0].modern == {} and "of the" not in short_answer.lines(plain)[0].counted()
