"""Local Sphinx extension of the book: everything a page needs is served from the book itself.

- plotly: kernels inherit PLOTLY_RENDERER=plotly_mimetype, so every figure reaches myst-nb as JSON, which
  `rectifiers.book_plotly` draws with one shared copy of plotly.js (from plotly's Python package).
- ipywidgets: the widget manager and require.js come from the npm registry (book/package.json), not a CDN.
- kernels: TensorFlow's C++ start-up log stays out of the pages (book/ipython), Python warnings do not.
- MathJax: served from the npm package too (`mathjax_path` in _config.yml), configured by
  book/_static/mathjax-compat.js, which also answers the widget manager's MathJax 2 calls.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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
# Widgets drawn for the static book say above themselves that they run only live (rectifiers.widgets).
os.environ.setdefault("RECTIFIERS_STATIC_BOOK", "1")
# Kernels read book/ipython/profile_default/ipython_kernel_config.py: C-level stderr stays out of the pages.
os.environ.setdefault("IPYTHONDIR", str(BOOK_DIR / "ipython"))


class MissingBookAssets(RuntimeError):
    pass


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


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
    missing = [s for s in [*VENDORED, *VENDORED_DIRS] if not (NODE_MODULES / s).exists()]
    if missing:
        raise MissingBookAssets(
            f"book/node_modules lacks {missing}: run `make book` (it runs `npm ci` in book/) first"
        )


def _page_context(app, pagename, templatename, context, doctree):
    """Drop Thebe (off, CDN-based, yet added twice to every page by sphinx-thebe); set the theme's default mode."""
    context["script_files"] = [
        js for js in context.get("script_files", [])
        if "THEBE_JS_URL" not in (getattr(js, "attributes", {}).get("body") or "")
        and "sphinx-thebe" not in str(js)
    ]
    context["css_files"] = [css for css in context.get("css_files", []) if "sphinx-thebe" not in str(css)]
    # An empty default mode makes pydata-sphinx-theme log a console error on every page.
    context["default_mode"] = context.get("default_mode") or "light"


def setup(app):
    app.connect("config-inited", _check_assets)
    app.connect("html-page-context", _page_context)
    # Before require.js (added on widget pages): plotly.js must define the global `Plotly`, not an AMD module.
    app.add_js_file("vendor/plotly.min.js", priority=200)
    # After the MathJax configuration Sphinx writes into pages with math, before MathJax itself (deferred).
    app.add_js_file("mathjax-compat.js", priority=600)
    app.connect("build-finished", _copy_vendor)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
