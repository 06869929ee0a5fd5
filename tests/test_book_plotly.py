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
