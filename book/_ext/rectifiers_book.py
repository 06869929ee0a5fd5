"""Local Sphinx extension of the book: everything a page needs is served from the book itself.

- plotly: kernels inherit PLOTLY_RENDERER=plotly_mimetype, so every figure reaches myst-nb as JSON, which
  `rectifiers.book_plotly` draws with one shared copy of plotly.js, loaded deferred and only by pages that have a
  figure. It is plotly.js' cartesian bundle (1.5 MB, 0.5 MB gzipped, against 4.8 and 1.5 for the full one that
  plotly's Python package ships), at the same version: every trace type the book draws is in it, and
  `book_plotly` refuses a figure with one that is not.
- ipywidgets: the widget manager and require.js come from the npm registry (book/package.json), not a CDN, only
  on pages with widget state (myst-nb), and only once a widget comes near the screen
  (book/_static/widgets-on-demand.js): 3.5 MB that never delays the first paint nor weighs on a reader who
  does not scroll to a widget.
- kernels: TensorFlow's C++ start-up log stays out of the pages (book/ipython), Python warnings do not.
- links: a repository button only when BOOK_REPOSITORY_URL names the book's real repository; no launch buttons.
- icons: the theme's few icons from Font Awesome's web fonts (book/_static/icons.css), not its 1.5 MB
  fontawesome.js, which is replaced by an empty script in the built book.
- bibliography: author–year labels (book/_ext/author_year_style.py).
- MathJax: served from the npm package too (`mathjax_path` in _config.yml), configured by
  book/_static/mathjax-compat.js, which also answers the widget manager's MathJax 2 calls.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import author_year_style

BOOK_DIR = Path(__file__).resolve().parent.parent
NODE_MODULES = BOOK_DIR / "node_modules"

# What each vendored file is, relative to book/node_modules, and where it goes under _static/vendor.
VENDORED = {
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist/embed-amd.js": "embed-amd.js",
}
VENDORED_DIRS = {"mathjax/es5": "mathjax"}

os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Widgets drawn for the static book say above themselves that they run only live (rectifiers.widgets.common).
os.environ.setdefault("RECTIFIERS_STATIC_BOOK", "1")
# Kernels read book/ipython/profile_default/ipython_kernel_config.py: C-level stderr stays out of the pages.
os.environ.setdefault("IPYTHONDIR", str(BOOK_DIR / "ipython"))


PLOTLY_JS = "vendor/plotly.min.js"
REPOSITORY_ENV = "BOOK_REPOSITORY_URL"


class MissingBookAssets(RuntimeError):
    pass


def _repository_buttons(app, config):
    """Repository button only for a repository named at build time; never launch buttons (see _config.yml)."""
    options = config.html_theme_options
    options["launch_buttons"] = {}
    url = os.environ.get(REPOSITORY_ENV, "").strip()
    if not url:
        options.update(repository_url="", use_repository_button=False, use_issues_button=False,
                       use_edit_page_button=False, use_source_button=False)
        return
    parts = urlparse(url)
    if parts.scheme != "https" or not parts.netloc or parts.path.strip("/").count("/") != 1:
        raise ValueError(f"{REPOSITORY_ENV} must be a repository's https URL like https://github.com/OWNER/NAME; "
                         f"got {url!r}")
    options.update(repository_url=url.rstrip("/"), use_repository_button=True,
                   repository_branch=os.environ.get("BOOK_REPOSITORY_BRANCH", "main"), path_to_docs="")


PLOTLY_PARTIAL = "plotly.js-cartesian-dist-min/plotly-cartesian.min.js"


def get_the_source(url: str) -> str:
    """The book's "Get the source" line, true whatever the build: the repository when the build names one, else
    what to run in a copy of the project (the folder this book was built from)."""
    if url:
        return f"**Get the source:** `git clone {url}`, then `cd` into it."
    return ("**Get the source:** this build names no public repository. In a copy of the project (the folder that "
            "holds `Makefile`, `rectifiers/` and `notebooks/`, as the book's authors share it), run the commands "
            "below from that folder.")


def _source_line(app, config):
    """`{{ get_the_source }}` in the book's pages (a MyST substitution)."""
    url = os.environ.get(REPOSITORY_ENV, "").strip().rstrip("/")
    config.myst_substitutions = {**(config.myst_substitutions or {}), "get_the_source": get_the_source(url)}


def _plotly_version(script: Path) -> str:
    import re

    found = re.search(r"plotly\.js (?:\([^)]*\) )?v(\d+\.\d+\.\d+)", script.read_text(encoding="utf-8", errors="ignore")[:400])
    return found.group(1) if found else "unknown"


def _plotly_js() -> Path:
    """plotly.js' cartesian bundle, at the version of the full bundle that plotly's Python package ships."""
    import plotly

    partial = NODE_MODULES / PLOTLY_PARTIAL
    full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if _plotly_version(partial) != _plotly_version(full):
        raise MissingBookAssets(
            f"book/node_modules/{PLOTLY_PARTIAL} is plotly.js {_plotly_version(partial)} but plotly's Python package "
            f"ships {_plotly_version(full)}: set plotly.js-cartesian-dist-min to that version in book/package.json")
    return partial


def _copy_vendor(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "vendor"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(_plotly_js(), target / "plotly.min.js")
    for source, name in VENDORED.items():
        shutil.copy2(NODE_MODULES / source, target / name)
    for source, name in VENDORED_DIRS.items():
        shutil.copytree(NODE_MODULES / source, target / name, dirs_exist_ok=True)
    _copy_widget_fonts(Path(app.outdir))
    _replace_fontawesome_js(Path(app.outdir))


ICON_CSS = BOOK_DIR / "_static" / "icons.css"
ICON_MODIFIERS = {"fa-solid", "fa-brands", "fa-lg", "fa-regular"}


def _replace_fontawesome_js(outdir: Path):
    """Swap the theme's fontawesome.js for an empty script; every icon a page uses must be in icons.css."""
    import re

    known = set(re.findall(r"\.(fa-[a-z0-9-]+)\s*\{\s*--fa", ICON_CSS.read_text()))
    used = set()
    for page in outdir.rglob("*.html"):
        for classes in re.findall(r'class="([^"]*\bfa-[^"]*)"', page.read_text(errors="ignore")):
            used |= {c for c in classes.split() if c.startswith("fa-")}
    missing = sorted(used - known - ICON_MODIFIERS)
    if missing:
        raise MissingBookAssets(f"icons used by the book but not drawn by {ICON_CSS}: {missing}")
    script = outdir / "_static" / "scripts" / "fontawesome.js"
    if script.exists():
        script.write_text("/* Icons come from book/_static/icons.css (Font Awesome's web fonts). */\n")


def _copy_widget_fonts(outdir: Path):
    """The widget manager fetches its icon fonts from `@jupyter-widgets/html-manager/dist/` beside the page, and
    the controls (a button's icon) from `@jupyter-widgets/`: both are served from copies there."""
    dist = NODE_MODULES / "@jupyter-widgets/html-manager/dist"
    fonts = [f for f in dist.iterdir() if f.suffix in {".woff2", ".woff", ".ttf", ".eot", ".svg"}]
    page_dirs = {
        page.parent
        for page in outdir.rglob("*.html")
        if "_static" not in page.parts and "vnd.jupyter.widget-view+json" in page.read_text(errors="ignore")
    }
    for page_dir in page_dirs:
        for target in (page_dir / "@jupyter-widgets" / "html-manager" / "dist", page_dir / "@jupyter-widgets"):
            target.mkdir(parents=True, exist_ok=True)
            for font in fonts:
                shutil.copy2(font, target / font.name)


def _check_assets(app, config):
    missing = [s for s in [*VENDORED, *VENDORED_DIRS, PLOTLY_PARTIAL] if not (NODE_MODULES / s).exists()]
    if missing:
        raise MissingBookAssets(
            f"book/node_modules lacks {missing}: run `make book` (it runs `npm ci` in book/) first"
        )


def _check_plotly(app, config):
    _plotly_js()  # before any notebook runs: a mismatched plotly.js would draw every figure with another version


def _page_context(app, pagename, templatename, context, doctree):
    """Drop Thebe (off, CDN-based, yet added twice to every page by sphinx-thebe); set the theme's default mode."""
    # In place: these are the builder's per-page lists, to which add_js_file below appends.
    context["script_files"][:] = [
        js for js in context.get("script_files", [])
        if "THEBE_JS_URL" not in (getattr(js, "attributes", {}).get("body") or "")
        and "sphinx-thebe" not in str(js)
    ]
    context["css_files"][:] = [css for css in context.get("css_files", []) if "sphinx-thebe" not in str(css)]
    # plotly.js (1.5 MB) only where a figure is, and deferred so that it never delays the first paint; the
    # figures' own scripts wait for it (rectifiers.book_plotly).
    if 'class="plotly-figure"' in (context.get("body") or ""):
        app.add_js_file(PLOTLY_JS, priority=200, defer="defer")
    # An empty default mode makes pydata-sphinx-theme log a console error on every page.
    context["default_mode"] = context.get("default_mode") or "light"


def setup(app):
    author_year_style.register()
    app.connect("config-inited", _check_assets)
    app.connect("config-inited", _check_plotly)
    app.connect("config-inited", _repository_buttons)
    app.connect("config-inited", _source_line)
    app.connect("html-page-context", _page_context)
    # After the MathJax configuration Sphinx writes into pages with math, before MathJax itself (deferred).
    app.add_js_file("mathjax-compat.js", priority=600)
    # Phone layout: wide tables, equations and outputs scroll inside themselves (book/_static/rectifiers.css).
    app.add_css_file("rectifiers.css")
    app.add_css_file("icons.css")
    app.connect("build-finished", _copy_vendor)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
