"""The built book as a reader meets it: real links, findable references, no build-machine text, light pages,
readable on a phone.

Needs `_build/html` (`make book`) and Debian's chromium. Pages are served gzip-compressed, as any static host
serves them, and weighed by the bytes Chromium actually receives. Screenshots at 1280 and 390 px go to
`_build/screenshots/` to be looked at.
"""

from __future__ import annotations

import functools
import io
import gzip
import http.server
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import ROOT
from test_book_html import HTML, PAGES, SHOTS, browser  # noqa: F401 - browser: the shared fixture

pytestmark = pytest.mark.book

BIB = ROOT / "book" / "references.bib"
PHONE, DESKTOP = 390, 1280
MB = 1_000_000
TEXT_PAGE_LIMIT = 1 * MB  # transferred, pages without a figure
CHAPTER_PAGE_LIMIT = 2 * MB  # transferred, pages with figures (plotly's cartesian bundle, deferred widgets)
BLOCKING_SCRIPT_LIMIT = 100_000  # bytes of a script that holds up the first paint
COMPRESSIBLE = {".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".eot", ".ttf"}

# Links out of the book that the prose makes on purpose, besides the bibliography's own URLs and DOIs.
DELIBERATE_LINKS = {"https://plotly.com/python/"}

# Text that describes the machine that built the book rather than the subject.
MACHINE_TEXT = [
    (re.compile(r"(?<![\w.])/(?:work|home|root|tmp|usr|opt|var|mnt|srv)/[\w.+-]"), "an absolute path"),
    (re.compile(r"site-packages|\.venv/|[A-Za-z]:\\\\"), "a path into an installation"),
    (re.compile(r"load average", re.I), "the machine's load"),
    (re.compile(r"\bcomputed in \d+(?:\.\d+)? ?s\b", re.I), "how long this build took"),
    (re.compile(r"not installed here", re.I), "what this machine lacks"),
]


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the book like a static host: text files gzip-compressed when the browser accepts it."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (path.suffix not in COMPRESSIBLE or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()

        return io.BytesIO(body)


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built book in {HTML}: run `make book` first")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_GzipHandler, directory=str(HTML)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def has_figure(name: str) -> bool:
    return 'class="plotly-figure"' in (HTML / name).read_text()


# --- what the pages say ---------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """A page's visible text outside code, and its links."""

    def __init__(self):
        super().__init__()
        self.text, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "pre", "code"):
            self._skip += 1
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _parse(name: str) -> _Text:
    parser = _Text()
    parser.feed((HTML / name).read_text())
    return parser


def _main_text(name: str) -> str:
    """The article's text (not the navigation), outside code."""
    html = (HTML / name).read_text()
    start = html.find('<article class="bd-article"')
    end = html.find("</article>", start)
    parser = _Text()
    parser.feed(html[start:end] if start >= 0 else html)
    return " ".join(" ".join(parser.text).split())


def _bibliography_links() -> set[str]:
    bib = BIB.read_text()
    urls = set(re.findall(r"url\s*=\s*\{([^}]*)\}", bib))
    urls |= {f"https://doi.org/{d}" for d in re.findall(r"doi\s*=\s*\{([^}]*)\}", bib)}
    return urls


@pytest.mark.parametrize("name", PAGES)
def test_links_lead_somewhere_real(name):
    """Inside the book every link names a file that exists; outside, only the bibliography's sources."""
    allowed = _bibliography_links() | DELIBERATE_LINKS
    page = HTML / name
    broken, external = [], []
    for href in _parse(name).links:
        parts = urlparse(href)
        if parts.scheme in ("http", "https"):
            if href not in allowed:
                external.append(href)
        elif parts.scheme in ("", "file") and parts.path:
            target = (page.parent / unquote(parts.path)).resolve()
            if parts.scheme == "file" or not target.exists():
                broken.append(href)
    assert external == [], f"{name} links outside the book to places that are not sources: {external}"
    assert broken == [], f"{name} links to files that are not in the book: {broken}"


@pytest.mark.parametrize("name", PAGES)
def test_no_build_machine_text(name):
    text = _main_text(name)
    # Chapter 1's micro-benchmark times the activation on the machine that built the page, so it states that
    # machine's load beside its interval (a timing that moves with the load must say so); no other page may.
    allowed = {"the machine's load"} if name.endswith("01_activation_functions.html") else set()
    found = [f"{what}: …{text[max(m.start() - 40, 0):m.end() + 40]}…"
             for pattern, what in MACHINE_TEXT if what not in allowed for m in pattern.finditer(text)]
    # A bare True/False in prose is a Python value glued into a sentence.
    found += [f"a Python boolean: …{text[max(m.start() - 60, 0):m.end() + 20]}…"
              for m in re.finditer(r"(?<![\w`'\"=])(True|False)(?![\w`'\"=(])", text)]
    assert found == [], f"{name} shows text about the machine that built it:\n" + "\n".join(found)


def test_no_absolute_path_anywhere_in_a_page():
    """Not even in code output, hidden inputs or metadata: no page names a directory of the build machine."""
    pattern = re.compile(r"(?<![\w.:/])/(?:work|home|root|tmp|usr|opt|mnt|srv)/[\w.+-]+/")
    found = {}
    for name in PAGES:
        hits = sorted({m.group(0) for m in pattern.finditer((HTML / name).read_text())})
        if hits:
            found[name] = hits
    assert found == {}, f"absolute paths of the build machine in pages: {found}"


LABEL = re.compile(r'<span class="label"><span class="fn-bracket">\[</span>(?:<a [^>]*>)?([^<]*)<')


def _bibliography_entries() -> list[str]:
    """The HTML of each entry of the built bibliography."""
    html = (HTML / "book" / "references.html").read_text()
    return [part.split("</p>", 1)[0] for part in html.split('<div class="citation"')[1:]]


def test_every_reference_has_year_and_link():
    entries = _bibliography_entries()
    assert len(entries) >= len(re.findall(r"^@", BIB.read_text(), re.M)), "bibliography entries are missing"
    bad = []
    for entry in entries:
        found = LABEL.search(entry)
        label = found.group(1) if found else entry[:80]
        if not re.search(r", (?:\d{4}[a-z]?|n\.d\.)$", label):
            bad.append(f"{label}: label is not 'Author, year'")
        if not re.search(r'href="https?://', entry):
            bad.append(f"{label}: no URL or DOI")
    assert bad == [], "references without author–year label or link:\n" + "\n".join(bad)


def test_references_have_distinct_labels():
    labels = LABEL.findall((HTML / "book" / "references.html").read_text())
    assert labels, "no bibliography labels found"
    assert len(labels) == len(set(labels)), f"two works share a label: {sorted(labels)}"


def test_text_cites_with_the_bibliography_labels():
    """A citation in a chapter shows the same author–year label as the bibliography, and links to it."""
    labels = set(LABEL.findall((HTML / "book" / "references.html").read_text()))
    for name in [p for p in PAGES if p.startswith("notebooks/")]:
        html = (HTML / name).read_text()
        cited = re.findall(r'<a class="reference internal" href="[^"]*references\.html#id\d+"[^>]*>([^<]*)</a>', html)
        assert set(cited) <= labels, f"{name} cites labels the bibliography lacks: {set(cited) - labels}"


# --- how the pages load and look ----------------------------------------------------------------------------


def weigh(browser, url: str, width: int = DESKTOP) -> dict:
    """Bytes Chromium receives for a page and everything it loads (as served, gzip; and the files' own sizes)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1500)
    sent = decoded = 0
    for request in requests:
        sizes = request.sizes()
        sent += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        path = HTML / unquote(urlparse(request.url).path).lstrip("/")
        decoded += path.stat().st_size if path.is_file() else sizes["responseBodySize"]
    page.close()
    return {"transferred": sent, "decoded": decoded, "requests": len(requests)}


@pytest.mark.parametrize("name", PAGES)
def test_page_weight(name, server, browser):
    weight = weigh(browser, f"{server}/{name}")
    limit = CHAPTER_PAGE_LIMIT if has_figure(name) else TEXT_PAGE_LIMIT
    assert weight["transferred"] <= limit, (
        f"{name} transfers {weight['transferred'] / MB:.2f} MB ({weight['decoded'] / MB:.2f} MB decoded, "
        f"{weight['requests']} requests); the limit is {limit / MB:g} MB")


@pytest.mark.parametrize("name", PAGES)
def test_plotly_only_where_a_figure_is_and_never_blocking(name):
    html = (HTML / name).read_text()
    tags = re.findall(r"<script[^>]*plotly\.min\.js[^>]*>", html)
    if not has_figure(name):
        assert tags == [], f"{name} has no figure but loads plotly.js"
    else:
        assert len(tags) == 1 and "defer" in tags[0], f"{name} must load plotly.js once, deferred: {tags}"


@pytest.mark.parametrize("name", PAGES)
def test_no_large_script_blocks_the_first_paint(name):
    """A script in <head> without defer or async stops the page from drawing until it has loaded and run: the 3.5 MB
    widget manager did on Chapters 1–6."""
    head = (HTML / name).read_text().split("</head>")[0]
    blocking = []
    for tag in re.findall(r"<script\b[^>]*>", head):
        src = re.search(r'\bsrc="([^"]+)"', tag)
        if not src or re.search(r"\b(defer|async)\b", tag):
            continue
        src = src.group(1)
        path = (HTML / name).parent / unquote(src.split("?")[0])
        if path.is_file() and path.stat().st_size > BLOCKING_SCRIPT_LIMIT:
            blocking.append(f"{src} ({path.stat().st_size / MB:.1f} MB)")
    assert blocking == [], f"{name} blocks its first paint on {blocking}"


@pytest.mark.parametrize("name", PAGES)
def test_widget_manager_only_where_widgets_are(name):
    html = (HTML / name).read_text()
    if "application/vnd.jupyter.widget-view+json" not in html:
        assert "embed-amd.js" not in html and "require.js" not in html, f"{name} loads the widget manager"


@pytest.mark.parametrize("name", PAGES)
def test_readable_on_a_phone(name, server, browser):
    """At 390 px nothing scrolls sideways except inside a code block, table or equation that scrolls itself."""
    shots = {}
    for width in (DESKTOP, PHONE):
        page = browser.new_page(viewport={"width": width, "height": 844})
        page.goto(f"{server}/{name}", wait_until="load")
        page.wait_for_timeout(1500)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"{name.replace('/', '__').replace('.html', '')}@{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        shots[width] = page.evaluate("document.documentElement.scrollWidth")
        if width == PHONE:
            clipped = page.evaluate("""() => [...document.querySelectorAll('mjx-container[display="true"]')]
                .filter(m => { const b = m.parentElement.getBoundingClientRect(), r = m.getBoundingClientRect();
                               const s = getComputedStyle(m.parentElement).overflowX + getComputedStyle(m).overflowX;
                               return r.width > b.width + 1 && !/auto|scroll/.test(s); })
                .map(m => m.textContent.slice(0, 40))""")
            assert clipped == [], f"equations clipped at {PHONE} px on {name}: {clipped}"
        page.close()
    assert shots[PHONE] <= PHONE, f"{name} scrolls sideways on a {PHONE} px phone: {shots[PHONE]} px wide"
