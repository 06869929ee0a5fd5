"""The built book read closely: figures whose parts do not cover each other, tables whose cells hold their
contents, one colour per setting on every page, no paragraph said twice, no number with more digits than its
measurement has, no code cell shown to readers that only glues values.

Needs `_build/html` (`make book`) and Debian's chromium; the geometric checks run at 1280 and 390 px.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest

from test_book_html import HTML, PAGES, browser, server  # noqa: F401 - the shared fixtures

pytestmark = pytest.mark.book

WIDTHS = (1280, 390)
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]
FIGURE_PAGES = [p for p in PAGES if 'class="plotly-figure"' in (HTML / p).read_text()]
READ_PAGES = [p for p in PAGES if not p.endswith("references.html")]  # the bibliography: DOIs, page ranges

# --- in the browser ----------------------------------------------------------------------------------------------

_OVERLAPS = """() => {
  const box = e => e.getBoundingClientRect();
  const cross = (a, b) => a.width > 0 && b.width > 0 && a.left < b.right - 1 && b.left < a.right - 1
                          && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const out = [];
  document.querySelectorAll('div.plotly-figure').forEach((gd, i) => {
    const titles = [...gd.querySelectorAll('g.annotation-text-g text')].filter(t => t.textContent.trim());
    for (let a = 0; a < titles.length; a++)
      for (let b = a + 1; b < titles.length; b++)
        if (cross(box(titles[a]), box(titles[b])))
          out.push(`figure ${i}: titles "${titles[a].textContent}" and "${titles[b].textContent}" overlap`);
    const legend = gd.querySelector('g.legend');
    gd.querySelectorAll('g.slider-container').forEach(s => {
      if (legend && cross(box(legend), box(s))) out.push(`figure ${i}: the legend overlaps a slider`);
    });
  });
  return out;
}"""

_CRAMPED_CELLS = """() => [...document.querySelectorAll('article table td, article table th')]
  .filter(c => c.offsetParent !== null && c.scrollWidth > c.clientWidth + 1)
  .map(c => c.textContent.trim().slice(0, 40))"""


def _open(browser, server, name, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{server}/{name}", wait_until="load")
    page.wait_for_timeout(2500)  # plotly draws after load, then moves sliders below legends
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", FIGURE_PAGES)
def test_no_figure_part_covers_another(name, width, server, browser):
    """Subplot titles apart, no legend on a slider."""
    page = _open(browser, server, name, width)
    problems = page.evaluate(_OVERLAPS)
    page.close()
    assert problems == [], f"{name} at {width} px: {problems}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", CHAPTERS)
def test_every_table_cell_holds_its_content(name, width, server, browser):
    page = _open(browser, server, name, width)
    cramped = page.evaluate(_CRAMPED_CELLS)
    page.close()
    assert cramped == [], f"{name} at {width} px: cells narrower than their content: {cramped}"


# --- in the HTML -------------------------------------------------------------------------------------------------

SETTING = re.compile(
    r"^(?P<name>Leaky ReLU|PReLU|ReLU|GELU|SELU|ELU|Swish|Mish|sigmoid|tanh)"
    r"(?:\s*\(?\s*α\s*=\s*(?P<alpha>[\d.]+)\s*\)?)?(?P<rai>,? RAI(?: init)?)?(?=$|[,:;]| f′| \()")
"""A trace named for a setting: 'ReLU', 'Leaky ReLU (α=0.3)', 'Leaky ReLU α=0.3: collapsed…', 'ReLU, RAI init'."""

_FIGURE = re.compile(r"Plotly\.newPlot\(gd,")


def setting_of(trace_name: str) -> str | None:
    match = SETTING.match(trace_name or "")
    if not match:
        return None
    name, alpha = match["name"], match["alpha"]
    if name == "Leaky ReLU":
        name += f" α={float(alpha or 0.01):g}"  # without a slope: the book's α = 0.01
    elif name == "PReLU":
        pass  # PReLU's slope is its initial one, not a different setting
    return name + (", RAI" if match["rai"] else "")


def rgb(colour) -> tuple | None:
    """A CSS colour as (r, g, b), any opacity dropped: a faint line of a setting is still its colour."""
    if not isinstance(colour, str):
        return None
    colour = colour.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{6}", colour):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    found = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,[^)]*)?\)", colour)
    return tuple(int(v) for v in found.groups()) if found else None


def figures_of(html: str) -> list[list[dict]]:
    """The traces of every plotly figure the book's renderer wrote into a page."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(html, m.end())[0] for m in _FIGURE.finditer(html)]


def trace_colours(trace: dict) -> set[tuple]:
    found = {rgb((trace.get("line") or {}).get("color")), rgb((trace.get("marker") or {}).get("color"))}
    return found - {None, (0, 0, 0), (170, 170, 170), (128, 128, 128)}  # black and greys are not settings


def test_one_colour_per_setting_across_the_book():
    colours = defaultdict(lambda: defaultdict(set))  # setting -> colour -> pages
    for name in FIGURE_PAGES:
        for traces in figures_of((HTML / name).read_text()):
            for trace in traces:
                setting = setting_of(trace.get("name", ""))
                for colour in trace_colours(trace) if setting else ():
                    colours[setting][colour].add(name)
    assert colours, "no trace named for a setting: the check reads nothing"
    several = {s: {str(c): sorted(p) for c, p in by.items()} for s, by in colours.items() if len(by) > 1}
    assert several == {}, f"settings drawn in more than one colour: {several}"
    owners = defaultdict(set)
    for setting, by in colours.items():
        for colour in by:
            owners[colour].add(setting)
    shared = {str(c): sorted(s) for c, s in owners.items() if len(s) > 1 and not _same_setting(s)}
    assert shared == {}, f"one colour for several settings: {shared}"


def _same_setting(settings: set[str]) -> bool:
    # PReLU at Keras' initial slope 0 is drawn over ReLU in its own colour; nothing else may share.
    return False


class _Blocks(HTMLParser):
    """The article's readable blocks (innermost paragraphs, list items, table cells) as text, outside code, scripts
    and math."""

    SKIP = {"script", "style", "pre", "code", "mjx-container", "math"}
    BLOCKS = {"p", "li", "td", "th", "dd"}

    def __init__(self):
        super().__init__()
        self.blocks = []
        self._skip = 0
        self._stack: list[dict] = []
        self._in_article = False

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "article":
            self._in_article = True
        if tag in self.SKIP or "math" in classes:
            self._skip += 1
        if tag in self.BLOCKS and self._in_article:
            if self._stack:
                self._stack[-1]["nested"] = True
            self._stack.append({"text": [], "nested": False})

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in self.BLOCKS and self._stack:
            block = self._stack.pop()
            text = " ".join("".join(block["text"]).split())
            if text and not block["nested"]:  # a list item's paragraph is read once, as the paragraph
                self.blocks.append(text)
        if tag == "article":
            self._in_article = False

    def handle_data(self, data):
        if not self._skip and self._stack:
            self._stack[-1]["text"].append(data)


_CELL_INPUT = re.compile(r'<div class="cell_input[^"]*">.*?<pre[^>]*>(.*?)</pre>', re.S)


def code_cells(html: str) -> list[str]:
    """The code of every cell whose input the page shows."""
    from html import unescape

    return [unescape(re.sub(r"<[^>]+>", "", code)) for code in _CELL_INPUT.findall(html)]


def _read(name: str) -> _Blocks:
    parser = _Blocks()
    parser.feed((HTML / name).read_text())
    return parser


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"])")


@pytest.mark.parametrize("name", READ_PAGES)
def test_nothing_long_is_said_twice_on_a_page(name):
    """No paragraph, or sentence within one, of 200 characters or more appears twice on a page."""
    seen = defaultdict(int)
    for block in _read(name).blocks:
        for sentence in {block, *SENTENCE_END.split(block)}:
            if len(sentence) >= 200:
                seen[sentence] += 1
    twice = [s[:100] + "…" for s, n in seen.items() if n > 1]
    assert twice == [], f"{name} says this more than once: {twice}"


NUMBER = re.compile(r"(?<![\w.,/#=-])(?P<times>×\s?)?[+−-]?(?P<digits>\d[\d,]*\.\d+|\d[\d,]*)(?![\w.]?\d|[\w/-])")


def too_precise(text: str, limit: int = 4) -> list[str]:
    """Numbers in `text` with more than `limit` significant digits. Integers are counts or years and pass, except
    a factor ("×2,598,963,692"); versions, dates and identifiers do not match."""
    out = []
    for m in NUMBER.finditer(text):
        digits = m["digits"].replace(",", "")
        if "." not in digits and not m["times"]:
            continue
        significant = digits.replace(".", "").lstrip("0") if "." in digits else digits.rstrip("0")
        if len(significant) > limit:
            out.append(m.group(0))
    return out


def test_the_precision_check_reads_numbers_as_a_reader_does():
    assert too_precise("grew by ×2,598,963,692 and +0.003275 % and 0.98765") == ["×2,598,963,692", "0.98765"]
    assert too_precise("60,000 images, 2026, 0.9912, 98.76 %, TensorFlow 2.21.0, run mnist-s0-46381ad7e2d3") == []


@pytest.mark.parametrize("name", READ_PAGES)
def test_no_number_has_more_digits_than_its_measurement(name):
    found = [(block[:80], too_precise(block)) for block in _read(name).blocks]
    found = [f for f in found if f[1]]
    assert found == [], f"{name}: numbers with more than 4 significant digits: {found[:8]}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_visible_code_cell_only_glues(name):
    """A cell whose only job is `glue(...)` is plumbing: hidden (remove-input), not shown to the reader."""
    glue_only = []
    for code in code_cells((HTML / name).read_text()):
        statements = [line for line in code.splitlines()
                      if line.strip() and not line.startswith((" ", "\t", ")", "#"))]
        if statements and all(line.startswith("glue(") for line in statements):
            glue_only.append(code.strip()[:80])
    assert glue_only == [], f"{name} shows readers cells that only glue: {glue_only}"


def test_the_checks_find_what_they_look_for():
    """Each check fails on the thing it exists for (they are read from the HTML, so a wrong parse would pass)."""
    page = ('<article><p>A sentence long enough. ' + "x" * 200 + '.</p><div class="cell_input docutils">'
            '<div class="highlight"><pre><span class="n">glue</span>("a", 1)\nglue("b", 2)</pre></div></div>'
            '<ul><li><p>' + "x" * 200 + '.</p></li></ul><td>0.123456</td></article>')
    parser = _Blocks()
    parser.feed(page)
    assert code_cells(page) == ['glue("a", 1)\nglue("b", 2)']
    assert sum("x" * 200 in b for b in parser.blocks) == 2 and "0.123456" in parser.blocks
    assert setting_of("Leaky ReLU (α=0.3): collapsed") == setting_of("Leaky ReLU α=0.3") == "Leaky ReLU α=0.3"
    assert setting_of("ReLU, RAI init: collapsed after training") == "ReLU, RAI"
    assert setting_of("Leaky ReLU") == "Leaky ReLU α=0.01" and setting_of("ReLU seed vs ReLU seed") is None
    assert rgb("rgba(31,119,180,0.25)") == rgb("#1f77b4")
