"""Draw plotly figures in the built book from their JSON, with one shared local plotly.js.

Jupyter Book 1 cannot render plotly's `application/vnd.plotly.v1+json` output, and plotly's HTML renderers
either inline 4.8 MB of JavaScript per page or load it from a CDN. This myst-nb mime renderer (registered as an
entry point in pyproject.toml) writes a <div> and a `Plotly.newPlot` call instead; the book's Sphinx
extension adds the shared `plotly.min.js` that ships with plotly's Python package.
"""

from __future__ import annotations

import json
import uuid

from docutils import nodes

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def plotly_figure_html(figure: dict, div_id: str | None = None) -> str:
    """HTML that draws a plotly figure (data, layout, frames) with an already loaded plotly.js."""
    div_id = div_id or f"plotly-{uuid.uuid4().hex[:12]}"
    data = json.dumps(figure.get("data", []), separators=(",", ":"))
    layout = json.dumps(figure.get("layout", {}), separators=(",", ":"))
    frames = json.dumps(figure.get("frames", []), separators=(",", ":"))
    config = json.dumps(dict(responsive=True, displaylogo=False, **figure.get("config", {})))
    # `</` inside a JSON string would end the <script> element early.
    script = (
        f"Plotly.newPlot('{div_id}',{data},{layout},{config})"
        f".then(function(gd){{var f={frames};if(f.length){{Plotly.addFrames(gd,f);}}}});"
    ).replace("</", "<\\/")
    return (
        f'<div class="plotly-figure" id="{div_id}" style="width:100%;min-height:450px;"></div>\n'
        f'<script type="text/javascript">{script}</script>'
    )


class PlotlyMimeRenderer:
    """myst-nb plugin: prefer plotly's JSON output in HTML builds and draw it with the shared plotly.js."""

    mime_priority_overrides = [("html", PLOTLY_MIME, 5), ("dirhtml", PLOTLY_MIME, 5)]

    @staticmethod
    def handle_mime(renderer, data, inline):
        if inline or data.mime_type != PLOTLY_MIME:
            return None
        figure = data.content if isinstance(data.content, dict) else json.loads(data.content)
        html = plotly_figure_html(figure)
        return [nodes.raw(text=html, format="html", classes=["output", "text_html"])]
