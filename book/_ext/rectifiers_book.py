"""Local Sphinx extension of the book: everything a page needs is served from the book itself.

- plotly: kernels inherit PLOTLY_RENDERER=plotly_mimetype, so every figure reaches myst-nb as JSON, which
  `rectifiers.book_plotly` draws with one shared copy of plotly.js (from plotly's Python package).
- ipywidgets: the widget manager and require.js come from the npm registry (book/package.json), not a CDN.
- MathJax: served from the npm package too (`mathjax_path` in _config.yml).
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


def _check_assets(app, config):
    missing = [s for s in [*VENDORED, *VENDORED_DIRS] if not (NODE_MODULES / s).exists()]
    if missing:
        raise MissingBookAssets(
            f"book/node_modules lacks {missing}: run `make book` (it runs `npm ci` in book/) first"
        )


def setup(app):
    app.connect("config-inited", _check_assets)
    # Before require.js (added on widget pages): plotly.js must define the global `Plotly`, not an AMD module.
    app.add_js_file("vendor/plotly.min.js", priority=200)
    app.connect("build-finished", _copy_vendor)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
