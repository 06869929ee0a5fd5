"""In the built book every ipywidget says, above itself, that it runs only in JupyterLab (no Python behind a page).

Reads the widget views and their embedded state from `_build/html` (`make book` first).
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import BUILD

pytestmark = pytest.mark.book

VIEW = re.compile(r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', re.S)
STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)


def widget_pages() -> dict[str, tuple[list[str], dict]]:
    """Page -> (the model ids of its top-level widget views, its embedded widget models)."""
    pages = {}
    for page in sorted(BUILD.rglob("*.html")):
        if "_static" in page.parts:
            continue
        text = page.read_text(errors="ignore")
        views = [json.loads(v)["model_id"] for v in VIEW.findall(text)]
        if views:
            models = {}
            for state in STATE.findall(text):
                models.update(json.loads(state)["state"])
            pages[str(page.relative_to(BUILD))] = (views, models)
    return pages


def test_the_book_has_widgets_to_check():
    if not (BUILD / "index.html").exists():
        pytest.fail(f"no built book in {BUILD}: run `make book` first")
    assert widget_pages(), "no page embeds an ipywidget: this test would check nothing"


@pytest.mark.parametrize("page", sorted(widget_pages()))
def test_every_widget_starts_with_its_static_notice(page):
    views, models = widget_pages()[page]
    for model_id in views:
        box = models[model_id]["state"]
        first = box.get("children", [""])[0].removeprefix("IPY_MODEL_")
        notice = models.get(first, {})
        assert notice.get("model_name") == "HTMLModel" and "rectifiers-static-notice" in notice["state"]["value"], (
            f"{page}: widget {model_id} ({models[model_id]['model_name']}) does not open with the static notice"
        )
        assert "Runs only in JupyterLab" in notice["state"]["value"]
    buttons = [m["state"] for m in models.values() if m["model_name"] == "ButtonModel"]
    assert all(b.get("disabled") for b in buttons if b.get("description") == "Train"), f"{page}: Train is enabled"
