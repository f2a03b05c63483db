"""dcc.Graph as every page uses it: the base map from this server, and a PNG download button."""
import dash
from dash import dcc

TOPOJSON = "topojson/"     # in assets/: plotly.js would otherwise fetch its base map from a CDN
# what a chart shows before its data arrives: nothing, on the dark panel (not a white box)
BLANK = {"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                "xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def graph(graph_id: str, filename: str, class_name: str = "chart", **kwargs) -> dcc.Graph:
    """A chart whose mode bar offers only 下载图片 (PNG, drawn in the browser, no request)."""
    config = {
        "displaylogo": False, "topojsonURL": dash.get_asset_url(TOPOJSON),   # under the URL prefix
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }
    kwargs.setdefault("figure", BLANK)
    return dcc.Graph(id=graph_id, className=class_name, config=config, **kwargs)
