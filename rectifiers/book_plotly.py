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

PAGE_TRACE_TYPES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
                              "image", "pie", "scatter", "scatterternary", "violin"})
"""The trace types of plotly.js' cartesian bundle, the plotly.js the book's pages load (book/_ext)."""


class UnsupportedTrace(ValueError):
    pass


def check_trace_types(figure: dict) -> None:
    """Refuse a figure the page's plotly.js cannot draw (it would be a blank box), naming the trace type."""
    traces = list(figure.get("data", [])) + [t for f in figure.get("frames", []) for t in f.get("data", [])]
    unknown = sorted({t.get("type", "scatter") for t in traces} - PAGE_TRACE_TYPES)
    if unknown:
        raise UnsupportedTrace(f"trace type(s) {unknown} are not in the book's plotly.js bundle (cartesian: "
                               f"{sorted(PAGE_TRACE_TYPES)}); draw it with those or change the bundle in book/_ext")


TEMPLATE_LAYOUT_UNUSED = frozenset({"geo", "map", "mapbox", "polar", "scene", "smith", "ternary"})
"""A template's layout for kinds of axes that the page's cartesian plotly.js cannot draw (`PAGE_TRACE_TYPES`)."""


def slim_template(figure: dict) -> dict:
    """The figure with its template cut to what it can use: the template's defaults for trace types the figure has
    none of, and its layout for axes the page cannot draw (`TEMPLATE_LAYOUT_UNUSED`), go. What is drawn does not
    change; a full template (plotly_white) weighs 6.5 KB in every figure, more than many figures' data."""
    layout = figure.get("layout", {})
    template = layout.get("template")
    if not isinstance(template, dict):
        return figure
    traces = list(figure.get("data", [])) + [t for f in figure.get("frames", []) for t in f.get("data", [])]
    used = {t.get("type", "scatter") for t in traces}
    slim = {"data": {k: v for k, v in template.get("data", {}).items() if k in used},
            "layout": {k: v for k, v in template.get("layout", {}).items() if k not in TEMPLATE_LAYOUT_UNUSED}}
    return {**figure, "layout": {**layout, "template": slim}}


def plotly_figure_html(figure: dict, div_id: str | None = None) -> str:
    """HTML that draws a plotly figure (data, layout, frames) with an already loaded plotly.js; its template cut to
    what it uses (`slim_template`)."""
    check_trace_types(figure)
    figure = slim_template(figure)
    div_id = div_id or f"plotly-{uuid.uuid4().hex[:12]}"
    data = json.dumps(figure.get("data", []), separators=(",", ":"))
    layout = json.dumps(figure.get("layout", {}), separators=(",", ":"))
    frames = json.dumps(figure.get("frames", []), separators=(",", ":"))
    # No toolbar: it sat on top of the figures' titles (zoom by dragging, double-click to reset still work).
    config = json.dumps(dict(responsive=True, displaylogo=False, displayModeBar=False, **figure.get("config", {})))
    # plotly.js is loaded deferred (book/_ext): draw once the document has been parsed and plotly.js has run.
    # On a phone the legend goes below the plot and subplot titles shrink (`_NARROW`).
    # `</` inside a JSON string would end the <script> element early.
    script = (
        f"(function(){{function draw(){{var gd=document.getElementById('{div_id}');"
        f"Plotly.newPlot(gd,{data},{layout},{config})"
        f".then(function(gd){{var f={frames};if(f.length){{Plotly.addFrames(gd,f);}}{_NARROW}{_FIT}}});}}"
        f"if(window.Plotly){{draw();}}else{{document.addEventListener('DOMContentLoaded',draw);}}}})();"
    ).replace("</", "<\\/")
    return (
        f'<div class="plotly-figure" id="{div_id}" style="width:100%;min-height:450px;"></div>\n'
        f'<script type="text/javascript">{script}</script>'
    )


_NARROW = (
    "var p=Promise.resolve();if(gd.clientWidth<600){var u={'legend.orientation':'h','legend.x':0,'legend.xanchor':'left',"
    "'legend.y':-0.18,'legend.yanchor':'top','legend.font.size':10,'margin.l':50,'margin.r':10,"
    "'title.font.size':13,height:(gd.layout.height||450)+120};"
    "(gd.layout.annotations||[]).forEach(function(a,i){u['annotations['+i+'].font.size']=10;});"
    # Axis titles smaller too: beside a second column of panels they ran into its neighbour's tick labels.
    "Object.keys(gd.layout).forEach(function(k){if(/^[xy]axis\\d*$/.test(k)){u[k+'.title.font.size']=11;}});"
    # A long title on two lines instead of cut off at the right edge.
    "var t=((gd.layout.title||{}).text||'');if(t.length>40&&t.indexOf('<br>')<0){"
    "var k=t.lastIndexOf(' ',Math.ceil(t.length/2)+4);if(k>0){u['title.text']=t.slice(0,k)+'<br>'+t.slice(k+1);"
    # One more line of title: a menu above the plot (updatemenus) keeps its room below the title.
    "u['margin.t']=Math.max(80,((gd.layout.margin||{}).t||60)+30);}}"
    "p=Plotly.relayout(gd,u);}"
)
"""Relayout for a phone-sized figure: horizontal legend under the plot, smaller titles, a taller figure."""

_FIT = (
    # Once drawn at this width: a slider that the legend (or the x-axis title) overlaps moves below it, and the
    # figure grows by what that needs, so that neither hides the other at 1280 px or on a phone.
    "var fit=function(n){var s=gd.querySelector('g.slider-container'),z=gd._fullLayout._size;if(!s){return;}"
    "var top=gd.getBoundingClientRect().top,sb=s.getBoundingClientRect(),low=z.t+z.h+30;"
    "gd.querySelectorAll('g.legend, g.g-xtitle, g.g-x2title, g.g-x3title').forEach(function(e){"
    "var b=e.getBoundingClientRect();if(b.height){low=Math.max(low,b.bottom-top+8);}});"
    "if(sb.top-top>=low-1){return;}"
    "var need=low+sb.height+10-gd._fullLayout.height,v={};"
    "(gd.layout.sliders||[]).forEach(function(x,i){v['sliders['+i+'].y']=1-(low-z.t)/z.h;"
    "v['sliders['+i+'].yanchor']='top';v['sliders['+i+'].pad.t']=0;});"
    "if(need>0){v.height=gd._fullLayout.height+need;v['margin.b']=z.b+need;}"
    # The relayout redraws the legend, with the web font if it arrived meanwhile: measure again, a few times at most.
    "Plotly.relayout(gd,v).then(function(){if(n<3){fit(n+1);}});};"
    "p.then(function(){fit(0);});"
)
"""Move each slider below whatever the legend and axis titles occupy under the plot, measured once drawn."""


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
