"""The bibliography: every work with a year and a link, author–year labels that tell every work apart."""

import re
import sys

from conftest import ROOT

BIB = ROOT / "book" / "references.bib"
sys.path.insert(0, str(ROOT / "book" / "_ext"))


def _formatted():
    import author_year_style
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    author_year_style.register()
    style = find_plugin("pybtex.style.formatting", author_year_style.STYLE_NAME)()
    return list(style.format_entries(parse_file(str(BIB)).entries.values()))


def test_every_entry_has_a_year_and_a_url_or_doi():
    entries = re.split(r"\n(?=@)", BIB.read_text().strip())
    for entry in entries:
        key = re.match(r"@\w+\{([^,]+),", entry).group(1)
        assert re.search(r"\byear\s*=\s*\{(\d{4}|n\.d\.)\}", entry), f"{key}: no year (or an explicit n.d.)"
        assert re.search(r"\b(url|doi)\s*=\s*\{", entry), f"{key}: no URL or DOI"
        assert re.search(r"\b(author|shorthand)\s*=\s*\{", entry), f"{key}: no author (or shorthand label)"


def test_labels_are_author_year_and_distinct():
    labels = [e.label for e in _formatted()]
    assert all(re.fullmatch(r".+, (\d{4}[a-z]?|n\.d\.)", label) for label in labels), labels
    assert len(labels) == len(set(labels)), labels
    # The two LeCun et al. works of 1998 are told apart.
    assert {"LeCun et al., 1998a", "LeCun et al., 1998b"} <= set(labels)


def test_formatted_entries_show_their_link():
    for entry in _formatted():
        text = entry.text.render_as("text")
        assert "https://" in text or "doi" in text.lower(), text
