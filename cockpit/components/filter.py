from dash import html


def labelled(label: str, control, class_name: str = "filter") -> html.Div:
    """A filter control with its label above it, as every page's filter bar shows them."""
    return html.Div([html.Div(label, className="filter-label"), control], className=class_name)
