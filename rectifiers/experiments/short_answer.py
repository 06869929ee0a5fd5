"""The book's short answer: the decision guide's rows summarised in at most five lines a practitioner can apply.

Each line speaks of a kind of situation, chosen by what happened in the runs, not by the verdicts: where ReLU trained
in every run; where it failed in some (with Adam or a deep and narrow network; with plain SGD); the GAN; the default
slope. Its words come from the verdicts of the rows it covers, counted, so it never says more than they do: "does not
matter" when every row says "either", "mostly, it does not matter" when more than half do (the others
counted beside it); otherwise "prefer" only for what every *prefer* row names, "avoid" only for what every *avoid*
row names, and only when those rows are at least half of the line's: a setting preferred in 1 of 21 situations is no
answer for the other 20, so then the line says that no setting is shown to help in most of them, names where one did,
and counts the verdicts from the most common; an *unclear* or *neither* row is counted as such. Each line carries the number that
decided it (`guide.number_text`) and a link to the section with its evidence.
"""

from __future__ import annotations

import re
from collections import Counter
import dataclasses
from dataclasses import dataclass
from html import escape

from .guide import GuideRow, _chapter_name, _p, deciding_number, group_of, number_text, section_pages

MAX_LINES = 5

TOPICS = (
    ("ordinary", "At ordinary settings, on plain and on normalised networks (ReLU trained in every run)"),
    ("units_die", "Where ReLU's units die (Adam at a high learning rate; deep and narrow networks)"),
    ("plain_sgd", "With plain SGD at a learning rate where ReLU fails"),
    ("gan", "In a GAN's discriminator (a small DCGAN on MNIST)"),
    ("defaults", "Writing LeakyReLU() without a slope"),
)
"""The lines, in the order the reader gets them: (key, the situation in the reader's words)."""

MODERN = ("modern_resnet", "modern_transformer", "schedule_resnet", "schedule_transformer", "fashion_batchnorm",
          "batchnorm", "deep_narrow_blocks")
"""The guide's groups of networks with normalisation or skip connections, or trained with AdamW and a schedule
(Chapter 8): a line that covers some of them counts their verdicts apart too, so the reader sees that the line speaks
for the networks people train today and what it says of them."""
MODERN_WORDS = "with BatchNorm, skip connections or LayerNorm, or trained with AdamW and a schedule"


@dataclass(frozen=True)
class AnswerLine:
    key: str  # one of TOPICS
    topic: str
    gist: str  # what to do, from the verdicts of `rows`
    counts: dict  # category -> rows with that verdict
    rows: tuple[str, ...]  # ids of the guide rows the line covers
    deciding_row: str  # id of the row whose number decided the line
    number: str  # that number, as `guide.number_text` or `guide.deciding_number` writes it
    section: str  # MyST label of the evidence
    modern: dict = dataclasses.field(default_factory=dict)  # category -> rows of `MODERN` groups among `rows`
    main: str | None = None  # the verdict the counts start from, where the gist does not start with it
    then: str = ""  # after the counts: where a minority of the rows named a setting ("where one did, prefer ...")

    def markdown(self, pages: dict[str, str] | None = None) -> str:
        """The line in MyST Markdown, its link a `{ref}` that works on any page of the book."""
        where = _chapter_name(self._page(pages))
        return (f"**{self.topic}:** {self.gist}{self.counted()}{self._then()} — {self.number} "
                f"({{ref}}`{where} <{self.section}>`)")

    def _then(self) -> str:
        return f"; {self.then}" if self.then else ""

    def html(self, pages: dict[str, str] | None = None, chapters: str = "../notebooks/") -> str:
        """The line as inline HTML for a page outside the notebooks (the intro: another page's glue reaches it only
        as HTML or plain text); `chapters` is the path from that page to the chapters' pages."""
        page = self._page(pages)
        counted = re.sub(r"\*(\w+)\*", r"<em>\1</em>", escape(self.counted()))
        link = f'<a href="{chapters}{page}.html#{self.section}">{_chapter_name(page)}</a>'
        return (f"<strong>{escape(self.topic)}:</strong> {escape(self.gist)}{counted}{escape(self._then())} — "
                f"{escape(self.number)} ({link})")

    def _page(self, pages: dict[str, str] | None) -> str:
        pages = section_pages() if pages is None else pages
        if self.section not in pages:
            raise ValueError(f"the short answer's line {self.key!r} links to section {self.section!r}, which no "
                             "notebook defines")
        return pages[self.section]

    def counted(self) -> str:
        """How many of the line's situations got each verdict, the line's own verdict first."""
        if len(self.rows) == 1:
            return ""
        main = self.main or (self.gist.split(" ")[0] if self.gist.split(" ")[0] in self.counts else
                             "either" if self.gist.endswith("it does not matter") else None)
        others = [f"*{c}* in {n}" for c, n in sorted(self.counts.items(), key=lambda kv: -kv[1]) if c != main]
        head = f"*{main}* in {self.counts[main]} of {len(self.rows)} situations" if main else \
            f"{len(self.rows)} situations"
        modern = ""
        if self.modern:
            n = sum(self.modern.values())
            parts = [f"*{c}* in {k}" for c, k in sorted(self.modern.items(), key=lambda kv: (-kv[1], kv[0]))]
            modern = f"; of the {n} {MODERN_WORDS}: {', '.join(parts)}"
        return f", {head}" + (f" ({', '.join(others)}{modern})" if others or modern else "")


def topic_of(row: GuideRow) -> str | None:
    """Which line speaks for the row (None: the cost row and rows not measured, which only the table shows)."""
    group = group_of(row)
    if group in ("gan", "defaults"):
        return group
    numbers = row.numbers
    if group == "cost" or not numbers or not numbers.get("comparisons"):
        return None
    baseline = numbers["comparisons"][0]["baseline"]
    if numbers["failed"].get(baseline, 0) == 0:
        return "ordinary"
    return "plain_sgd" if row.optimizer == "sgd" else "units_die"


def named(row: GuideRow, verb: str) -> list[str]:
    """The settings the row's verdict tells to `verb` ("prefer", "avoid"), read back against its comparisons (the
    verdict runs Leaky ReLU's slopes together: "prefer Leaky ReLU α=0.01 or 0.3")."""
    known = [c["alternative"] for c in row.numbers["comparisons"]] + [row.numbers["comparisons"][0]["baseline"]]
    out = []
    for part in row.recommendation.split("; "):
        if not part.startswith(verb + " "):
            continue
        part = part.split(" — ")[0]  # after the dash: alternatives not shown better (`decision.NOT_SEPARATED`)
        for token in part[len(verb) + 1:].replace(" and ", " or ").split(" or "):
            token = token.split(" (")[0] if token.split(" (")[0] in known else token
            full = token if token in known else f"Leaky ReLU α={token}"
            if full in known:
                out.append(full)
    return out


def _line(key: str, topic: str, rows: list[GuideRow]) -> AnswerLine:
    counts = dict(Counter(r.category for r in rows))
    ids = tuple(r.id for r in rows)
    main, then = None, ""
    if key == "defaults" or not rows[0].numbers:
        row = rows[0]
        return AnswerLine(key, topic, row.recommendation, counts, ids, row.id, deciding_number(row), row.section)
    verb = "prefer" if "prefer" in counts else "avoid" if "avoid" in counts else None
    if verb and 2 * counts.get("either", 0) > len(rows):  # most situations: no difference; the rest are counted
        row, gist = next(r for r in rows if r.category == "either"), "mostly, it does not matter"
        number = deciding_number(row)
    elif verb:
        judged = [r for r in rows if r.category == verb]
        opposite = "avoid" if verb == "prefer" else "prefer"
        common = [s for s in named(judged[0], verb) if all(s in named(r, verb) for r in judged)
                  and not any(s in named(r, opposite) for r in rows if r.category == opposite)]
        if common:
            # The strongest evidence for any of the settings the line names (not only the first: a verdict names
            # together settings the data do not separate, and the first may be the weakest).
            pairs = [(r, c) for r in judged for c in r.numbers["comparisons"] if c["alternative"] in common]
            row, comparison = min(pairs, key=lambda rc: _p(rc[1]))
            number = number_text(row, comparison)
        else:  # the rows name different settings: say so, and show the strongest row's number
            row = min(judged, key=lambda r: min(_p(c) for c in r.numbers["comparisons"]))
            number = deciding_number(row)
        what = " or ".join(common) if common else "the setting each row names"  # a group the data do not separate
        gist = f"{verb} {what}"
        if 2 * len(judged) < len(rows):  # a minority of the situations: no answer for the others
            main = max(counts, key=lambda c: (counts[c], c == verb))
            shown = "shown to help" if verb == "prefer" else "shown to do worse"
            then = f"where one {'did' if verb == 'prefer' else 'was'}, {gist}"
            gist = f"no setting is {shown} in most situations"
    elif set(counts) == {"either"}:
        row, gist = rows[0], "it does not matter"
        number = deciding_number(row)
    else:  # unclear or neither only: nothing is shown to help
        row = next((r for r in rows if r.category == "unclear"), rows[0])
        remedy = next((r.recommendation.split("; ", 1)[1] for r in rows if r.category == "neither"), "")
        gist = "no setting is shown to help" + (f"; {remedy}" if remedy else "")
        number = deciding_number(row)
    situation = row.situation.split(" (")[0]
    if all("early training" in r.situation for r in rows):  # a verdict about the first epochs only says so
        spent = row.situation[row.situation.index("early training"):].rstrip(")").partition(": ")[2]
        gist += f", after early training only ({spent})" if spent else ", after early training only"
    modern = dict(Counter(r.category for r in rows if group_of(r) in MODERN))
    return AnswerLine(key, topic, gist, counts, ids, row.id, f"{situation}: {number}" if len(rows) > 1 else number,
                      row.section, modern if len(rows) > 1 else {}, main, then)


@dataclass(frozen=True)
class Pasted:
    """A line as a page pastes it: MyST Markdown in Chapter 7 (`{glue:md}`), HTML in the intro (`{glue}`)."""

    markdown: str
    html: str

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        """Plain text (a live session's prose shows a glued value as text): no emphasis, a link as its words."""
        return re.sub(r"\{ref\}`([^`<]*?)\s*<[^`]*>`", r"\1", self.markdown).replace("**", "").replace("*", "")

    def _repr_html_(self) -> str:
        return self.html


def pasted(rows: list[GuideRow], pages: dict[str, str] | None = None) -> dict[str, Pasted]:
    """Every topic's line (`answer_<key>` in the pages that paste them); a topic without rows says so, with neither
    number nor link (and the tests fail)."""
    pages = section_pages() if pages is None else pages
    written = {line.key: Pasted(line.markdown(pages), line.html(pages)) for line in lines(rows)}
    missing = "{}: not measured (no stored runs)"
    return {key: written.get(key, Pasted(missing.format(f"**{topic}**"), missing.format(f"<strong>{topic}</strong>")))
            for key, topic in TOPICS}


def lines(rows: list[GuideRow]) -> list[AnswerLine]:
    """The short answer: one line per topic (`TOPICS`) that has rows."""
    by_topic: dict[str, list[GuideRow]] = {}
    for row in rows:
        topic = topic_of(row)
        if topic is not None:
            by_topic.setdefault(topic, []).append(row)
    return [_line(key, topic, by_topic[key]) for key, topic in TOPICS if key in by_topic]
