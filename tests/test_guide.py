"""The decision guide: every row backed by stored runs of a study, every number computed, every link real."""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT
from rectifiers.engine import ResultsStore, load_study, plan
from rectifiers.experiments import guide

GUIDE = NOTEBOOKS / "07_decision_guide.ipynb"


@pytest.fixture(scope="module")
def rows():
    return guide.guide_rows(ResultsStore())


def test_every_measured_row_is_backed_by_the_stored_runs_of_its_studies(rows):
    measured = [r for r in rows if r.seeds is not None]
    assert measured, "the guide has no measured row"
    for row in measured:
        assert row.studies, f"{row.id}: no study behind a measured row"
        assert row.seeds >= 2, f"{row.id}: a comparison on {row.seeds} seed(s) is no evidence"
        for path in row.studies:
            the_plan = plan(load_study(ROOT / path), ResultsStore())
            unstored = [r.key for r in the_plan.runs if r.epochs_done == 0 or r.status == "blocked"]
            assert not unstored, f"{row.id}: runs of {path} not stored: {unstored}"


def test_the_guide_covers_the_situations_the_book_promises(rows):
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids)), f"a situation appears twice: {ids}"
    groups = set(guide.group_summaries(rows))
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


def test_a_large_group_differing_in_one_word_is_told_by_recommendation():
    from rectifiers.experiments import guide

    def row(i, shape, choice, seeds=20):
        return guide.GuideRow(f"deep_narrow_{i}", f"deep MLP {shape} (depth × width)", choice, "e", seeds, "s", ())

    shapes = [("5×2", "Leaky ReLU α=0.01"), ("20×2", "Leaky ReLU α=0.3"), ("2×4", "either"), ("5×4", "either"),
              ("20×4", "Leaky ReLU α=0.3")]
    rows = [row(i, shape, choice) for i, (shape, choice) in enumerate(shapes)]
    assert guide.group_summaries(rows)["deep_narrow"] == (
        "deep MLP: Leaky ReLU α=0.01 at 5×2; Leaky ReLU α=0.3 at 20×2, 20×4; either at the other 2 "
        "(depth × width; 20 seeds per cell)")
    same = [row(i, shape, "either") for i, (shape, _) in enumerate(shapes)]
    assert guide.group_summaries(same)["deep_narrow"] == "deep MLP: either at all 5 (depth × width; 20 seeds per cell)"
    # four rows, or rows differing in more than a word, or in their seeds: listed one by one
    assert guide.group_summaries(rows[:4])["deep_narrow"].startswith("deep MLP 5×2: Leaky ReLU α=0.01; deep MLP 20×2")
    mixed = rows[:4] + [row(9, "20×4", "either", seeds=10)]
    assert "(10 seeds)" in guide.group_summaries(mixed)["deep_narrow"]


@pytest.mark.slow
def test_the_guide_over_an_empty_store_says_which_runs_are_missing_and_how_to_train_them(notebook_runner, tmp_path):
    empty = tmp_path / "empty"
    glued = notebook_runner("07_decision_guide", results_dir=str(empty))  # completes: no traceback
    rows = {row.id: row for row in guide.guide_rows(ResultsStore(empty))}
    for group in ("standard", "learning_rate", "deep_narrow", "gan"):
        assert rows[group].recommendation == guide.MISSING
        assert "python -m rectifiers study studies/" in rows[group].evidence, rows[group].evidence
        assert glued[f"guide_{group}"].startswith(guide.MISSING)
    assert "no stored snapshots" not in rows["standard"].evidence
    assert "decision-guide" in guide.guide_html(list(rows.values()))
