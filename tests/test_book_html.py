"""The built book, opened in headless Chromium as a reader would: offline, drawn, interactive.

Needs `_build/html` (built by `make test` before pytest runs, or `make book`) and Debian's chromium.
Screenshots of every page are written to `_build/screenshots/` to be looked at.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import BUILD, ROOT

pytestmark = pytest.mark.book

HTML = Path(os.environ.get("BOOK_HTML", BUILD))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SHOTS = ROOT / "_build" / "screenshots"


def book_pages() -> list[str]:
    """Every page of the built book (relative paths), the generated search/index pages aside."""
    if not (HTML / "index.html").exists():
        return []
    skip = {"search.html", "genindex.html", "index.html"}
    return sorted(
        str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
        if p.name not in skip and "_static" not in p.parts and "_sources" not in p.parts
    )


PAGES = book_pages()


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built book in {HTML}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class PageVisit:
    """One page opened with every request that leaves 127.0.0.1 blocked and recorded, and errors collected."""

    def __init__(self, browser, url: str):
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_timeout(1500)  # plotly and the widget manager draw after load

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()


@pytest.mark.parametrize("name", PAGES)
def test_page_is_offline_clean_and_drawn(name, server, browser):
    visit = PageVisit(browser, f"{server}/{name}")
    page = visit.page
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (name.replace("/", "__").replace(".html", ".png"))), full_page=True)
    assert visit.outside == [], f"{name} asked for resources outside the book: {visit.outside}"
    assert visit.failed == [], f"{name} failed to load: {visit.failed}"
    assert visit.errors == [], f"{name} logged errors: {visit.errors}"
    figures = page.locator("div.plotly-figure")
    for i in range(figures.count()):
        assert figures.nth(i).locator(".main-svg").count() > 0, f"plotly figure {i} on {name} was not drawn"
    html = (HTML / name).read_text()
    if "application/vnd.jupyter.widget-view+json" in html:
        # The widget manager loads when a widget comes near the screen (book/_static/widgets-on-demand.js).
        page.evaluate("""document.querySelector('script[type="application/vnd.jupyter.widget-view+json"]')
                         .parentElement.scrollIntoView()""")
        page.wait_for_timeout(4000)
        assert visit.errors == [], f"{name} logged errors once its widgets loaded: {visit.errors}"
        assert page.locator(".jupyter-widgets").count() > 0, f"widgets on {name} were not rendered"
    assert "MathJax" not in html or page.evaluate("typeof MathJax") == "object"
    page.close()


def test_book_has_chapters():
    assert [p for p in PAGES if p.startswith("notebooks/")], f"no chapter pages in {HTML}"


def _slider_pages():
    return [p for p in PAGES if '"sliders"' in (HTML / p).read_text()]


@pytest.mark.parametrize("name", _slider_pages())
def test_plotly_sliders_change_the_plot(name, server, browser):
    """Clicking an end of each plotly slider redraws the figure (without a kernel)."""
    visit = PageVisit(browser, f"{server}/{name}")
    page = visit.page
    figures = page.locator("div.plotly-figure")
    moved = 0
    for i in range(figures.count()):
        fig = figures.nth(i)
        rails = fig.locator("g.slider-container rect.slider-rail-rect")
        if rails.count() == 0:
            continue
        fig.scroll_into_view_if_needed()
        box = rails.first.bounding_box()
        changed = False
        for x in (box["x"] + box["width"] - 2, box["x"] + 2):  # whichever end the slider is not already at
            before = fig.locator(".main-svg").first.inner_html()
            page.mouse.click(x, box["y"] + box["height"] / 2)
            page.wait_for_timeout(1200)
            changed = changed or fig.locator(".main-svg").first.inner_html() != before
        assert changed, f"slider of figure {i} on {name} did not change the plot"
        moved += 1
    assert moved > 0, f"{name} has a slider definition but no slider was drawn"
    assert visit.errors == [], visit.errors
    page.close()


def test_chapter_pages_are_light():
    """plotly.js is shared: a chapter page weighs under 500 KB without the shared assets."""
    heavy = {p: (HTML / p).stat().st_size for p in PAGES if (HTML / p).stat().st_size > 500_000}
    assert heavy == {}, f"pages over 500 KB: {heavy}"


def test_no_chapter_shows_a_python_dict_to_the_reader():
    """A cell that ends with a call returning a dict (a glue helper, say) prints it into the page: a wall of repr."""
    import re

    dumps = {p: m.group(1)[:80] for p in PAGES for m in [re.search(
        r'class="output text_plain[^"]*"><div class="highlight"><pre><span></span>(\{&#39;|\{\')', (HTML / p).read_text())]
        if m}
    assert dumps == {}, f"pages showing a dict's repr: {dumps}"
