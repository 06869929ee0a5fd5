"""Author–year labels for the bibliography, the same in the text and in the list of references.

sphinxcontrib-bibtex's `author_year` citations do not tell two works of the same first author and year apart,
and its bibliography styles label entries alphabetically ([LBBH98]). This pybtex style labels every entry
"Maas et al., 2013", adds a, b, ... where two works would share a label, and sorts the list by author and year;
the book cites with `bibtex_reference_style = label`, so text and bibliography show the same label.
"""

from __future__ import annotations

import string
from collections import Counter, defaultdict

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle

STYLE_NAME = "rectifiers_author_year"


def _last_name(person) -> str:
    return Text(*person.rich_last_names).render_as("text") or Text(*person.rich_first_names).render_as("text")


def author_year_label(entry) -> str:
    """'Maas et al., 2013'; an entry without authors uses its `shorthand` field (it must have one)."""
    if "shorthand" in entry.fields:
        return entry.fields["shorthand"]
    persons = entry.persons.get("author") or entry.persons.get("editor")
    if not persons:
        raise ValueError(f"bibliography entry {entry.key!r} has neither author, editor nor shorthand")
    names = [_last_name(p) for p in persons]
    who = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        sorted_entries = list(sorted_entries)
        labels = [author_year_label(e) for e in sorted_entries]
        repeated, seen = Counter(labels), defaultdict(int)
        for label in labels:
            if repeated[label] > 1:
                seen[label] += 1
                label += string.ascii_lowercase[seen[label] - 1]
            yield label


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "rectifiers_author_year"
    default_sorting_style = "author_year_title"


def register():
    register_plugin("pybtex.style.labels", STYLE_NAME, AuthorYearLabels)
    register_plugin("pybtex.style.formatting", STYLE_NAME, AuthorYearStyle)
