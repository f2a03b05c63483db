from dash import html


def counter(label: str, value_id: str, unit: str, detail_id: str | None = None) -> html.Div:
    """A big-number card: label, value, unit and an optional line of detail."""
    children = [html.Div(label, className="counter-label"),
                html.Div([html.Span("—", id=value_id, className="counter-value"),
                          html.Span(unit, className="counter-unit")])]
    if detail_id:
        children.append(html.Div(id=detail_id, className="counter-detail"))
    return html.Div(children, className="counter")


def panel(title: str, *children, class_name: str = "") -> html.Div:
    return html.Div([html.Div(title, className="panel-title"), *children],
                    className=f"panel {class_name}".strip())


def mini_counter(label: str, value: str, unit: str) -> html.Div:
    """A small number inside a board: value and unit over its label."""
    return html.Div([html.Div([html.Span(value, className="mini-value"),
                               html.Span(unit, className="mini-unit")]),
                     html.Div(label, className="mini-label")], className="mini-counter")
