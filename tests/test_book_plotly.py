"""The book's plotly renderer writes a div and a newPlot call that cannot break out of its script."""

import plotly.graph_objects as go

from rectifiers.book_plotly import PLOTLY_MIME, PlotlyMimeRenderer, plotly_figure_html


def test_figure_html_draws_data_layout_and_frames():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 2], name="</script><b>"), frames=[go.Frame(name="f1")])
    html = plotly_figure_html(fig.to_plotly_json(), div_id="fig1")
    assert '<div class="plotly-figure" id="fig1"' in html
    assert "getElementById('fig1')" in html and "Plotly.newPlot(gd," in html and "Plotly.addFrames" in html
    # plotly.js is deferred: the figure waits for the parsed document unless Plotly is already there.
    assert "DOMContentLoaded" in html
    assert "</script><b>" not in html and html.count("</script>") == 1


def test_renderer_claims_only_plotly_json():
    class Data:
        mime_type, content = "text/html", "<p>"

    assert PlotlyMimeRenderer.handle_mime(None, Data(), inline=False) is None
    Data.mime_type, Data.content = PLOTLY_MIME, {"data": [], "layout": {}}
    (node,) = PlotlyMimeRenderer.handle_mime(None, Data(), inline=False)
    assert "Plotly.newPlot" in node.astext()


def test_a_figure_the_page_s_plotly_bundle_cannot_draw_is_refused():
    import pytest

    from rectifiers.book_plotly import UnsupportedTrace, check_trace_types

    # Every trace type the book draws is in plotly.js' cartesian bundle, which the pages load (book/_ext).
    check_trace_types(go.Figure([go.Scatter(y=[1]), go.Bar(y=[1]), go.Box(y=[1]), go.Heatmap(z=[[1]]),
                                 go.Histogram(x=[1])]).to_dict())
    with pytest.raises(UnsupportedTrace, match=r"\['scatter3d'\] are not in the book's plotly.js bundle"):
        plotly_figure_html(go.Figure([go.Scatter(y=[1]), go.Scatter3d(x=[1], y=[1], z=[1])]).to_dict())
    with pytest.raises(UnsupportedTrace, match="parcoords"):
        check_trace_types({"data": [], "frames": [{"data": [{"type": "parcoords"}]}]})


def test_a_figures_template_keeps_only_what_its_traces_and_axes_use():
    import json

    from rectifiers.book_plotly import slim_template

    full = go.Figure([go.Scatter(y=[1])], frames=[go.Frame(data=[go.Heatmap(z=[[1]])])],
                     layout=dict(template="plotly_white")).to_plotly_json()
    slim = slim_template(full)
    template, before = slim["layout"]["template"], full["layout"]["template"]
    assert set(template["data"]) == {"scatter", "heatmap"}  # a frame's traces count too
    assert template["data"]["scatter"] == before["data"]["scatter"]
    assert {"polar", "scene", "geo", "ternary"} & set(template["layout"]) == set()
    kept = {k: v for k, v in before["layout"].items() if k not in {"polar", "scene", "geo", "ternary", "mapbox"}}
    assert template["layout"] == kept  # fonts, colours, axes, hover: what a cartesian figure draws with
    assert slim["data"] == full["data"] and full["layout"]["template"] is before  # the figure itself is left as it was
    assert len(json.dumps(template)) < len(json.dumps(before)) / 2
    assert slim_template({"data": [], "layout": {}}) == {"data": [], "layout": {}}  # no template: nothing to cut
    assert '"bar":' not in plotly_figure_html(full)  # the page gets the slim one
