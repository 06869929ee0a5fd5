"""The book's Sphinx extension (book/_ext/rectifiers_book.py), the parts that need no build."""

import os
import sys

import pytest

from conftest import ROOT

# Importing the extension sets the build's environment (RECTIFIERS_STATIC_BOOK, IPYTHONDIR, ...) for the book's
# kernels; the test process must not keep it, or every widget test after this file draws the static book's notices.
_environment = dict(os.environ)
sys.path.insert(0, str(ROOT / "book" / "_ext"))
rectifiers_book = pytest.importorskip("rectifiers_book")
os.environ.clear()
os.environ.update(_environment)


def test_get_the_source_is_true_with_and_without_a_repository():
    named = rectifiers_book.get_the_source("https://github.com/owner/book")
    assert "git clone https://github.com/owner/book" in named
    # Without a URL the book once said "clone the repository" and never said where: now it says what to do.
    unnamed = rectifiers_book.get_the_source("")
    assert "clone" not in unnamed and "names no public repository" in unnamed and "Makefile" in unnamed


def test_pages_load_the_cartesian_plotly_bundle_at_plotly_py_s_version():
    script = rectifiers_book._plotly_js()
    assert script.name == "plotly-cartesian.min.js" and script.stat().st_size < 2_000_000
    import plotly

    full = rectifiers_book.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert rectifiers_book._plotly_version(script) == rectifiers_book._plotly_version(full) != "unknown"
