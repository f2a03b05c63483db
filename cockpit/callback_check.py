"""What a browser may post to Dash's update endpoint, checked before Dash runs anything.

A callback request names a callback (`output`) and carries its inputs and states *by position*:
Dash hands the n-th entry to the callback's n-th parameter whatever id or property the entry
claims. So a request is accepted only in exactly the shape Dash's renderer sends: the callback
exists on the server, every entry names the id and property the callback declares at its
position (a pattern-matching input: a list of entries whose ids fit the pattern), and every value
has the type the component's property declares (Dash's generated components annotate each
property; a single-choice dropdown's value is never a list). Anything else is a forged or broken
request and is answered 400 before a callback can fail on it with a 500.

The page a `_pages_content` request renders is found with Dash's own functions on the value at
the pathname's position (`rendered_page`), so the gate decides on the page Dash will draw."""
from __future__ import annotations

import collections.abc
import inspect
import json
import typing
from functools import cache

import dash
from dash import dcc
from dash._pages import _path_to_page
from dash.development.base_component import Component
from typing_extensions import NotRequired, Required, is_typeddict

PAGES_CONTENT = "_pages_content"
_NUMBERS = (typing.SupportsFloat, typing.SupportsInt, typing.SupportsComplex, int, float, complex)
_WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])     # as callback_map writes them
_SCALAR = typing.Union[str, int, float, bool, None]


class BadCallback(ValueError):
    """Not the shape Dash's renderer sends: answered 400."""


class UnknownCallback(LookupError):
    """No server-side callback has this output: answered 403."""


def check(app: dash.Dash, body) -> dict:
    """The callback the request runs (its callback_map entry), or BadCallback/UnknownCallback."""
    if not isinstance(body, dict):
        raise BadCallback("the body is not a JSON object")
    output = body.get("output")
    if not isinstance(output, str):
        raise BadCallback("output is not a string")
    spec = app.callback_map.get(output)
    if spec is None or spec.get("callback") is None:
        raise UnknownCallback(output)
    _check_outputs(output, body.get("outputs"))
    components = _components(app)
    for key in ("inputs", "state"):
        entries = body.get(key, [])
        declared = spec.get(key, [])
        if not isinstance(entries, list) or len(entries) != len(declared):
            raise BadCallback(f"{key}: {len(declared)} entries expected")
        for want, got in zip(declared, entries):
            _check_entry(components, want, got)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadCallback("changedPropIds is not a list of strings")
    return spec


def is_pages_content(spec_output: str) -> bool:
    return spec_output.startswith(f"..{PAGES_CONTENT}.children...")


def rendered_page(app: dash.Dash, pathname) -> str | None:
    """The registered page (its path) Dash draws for `pathname`, as Dash's pages router finds it
    (prefix and slashes stripped, path templates matched); None when it draws its 404 page.
    BadCallback when Dash could not resolve it at all."""
    if pathname is None:
        return None
    if not isinstance(pathname, str):
        raise BadCallback("pathname is not a string")
    try:
        page, _variables = _path_to_page(app.strip_relative_path(pathname))
    except Exception as exc:        # Dash refuses a path outside its prefix (UnsupportedRelativePath)
        raise BadCallback(f"pathname {pathname[:80]!r}: {exc.__class__.__name__}") from None
    return page.get("path") if page else None


# -- shapes -----------------------------------------------------------------------------
def _check_outputs(output: str, outputs) -> None:
    names = output[2:-2].split("...") if output.startswith("..") else [output]
    wanted = [name.rsplit(".", 1) for name in names]
    if outputs is None:              # older renderers send no outputs: Dash reads them from `output`
        return
    if not output.startswith(".."):
        outputs = [outputs]
    if not isinstance(outputs, list) or len(outputs) != len(wanted):
        raise BadCallback("outputs do not match the callback")
    for (cid, prop), got in zip(wanted, outputs):
        items = got if isinstance(got, list) and cid.startswith("{") else [got]
        for item in items:
            if not (isinstance(item, dict) and item.get("property") == prop and _same_id(cid, item.get("id"))):
                raise BadCallback("outputs do not match the callback")


def _check_entry(components: dict, want: dict, got) -> None:
    cid, prop = want["id"], want["property"]
    pattern = json.loads(cid) if cid.startswith("{") else None
    if pattern is not None and any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values()):
        if not isinstance(got, list):
            raise BadCallback(f"{cid}.{prop}: a list of entries expected")
        items = got
    else:
        items = [got]
    for item in items:
        if not (isinstance(item, dict) and item.get("property") == prop and _same_id(cid, item.get("id"))):
            raise BadCallback(f"an entry does not name {cid}.{prop} at its position")
        value = item.get("value")
        hint, owner = _property_type(components, item["id"], prop)
        if not conforms(value, hint, owner):
            raise BadCallback(f"{cid}.{prop}: a {type(value).__name__} is not what the component sends")


def _same_id(declared: str, actual) -> bool:
    if not declared.startswith("{"):
        return actual == declared
    pattern = json.loads(declared)
    if not isinstance(actual, dict) or set(actual) != set(pattern):
        return False
    return all(isinstance(actual[k], (str, int, float, bool)) if w in _WILDCARDS else actual[k] == w
               for k, w in pattern.items())


# -- value types ------------------------------------------------------------------------
def _components(app: dash.Dash) -> dict:
    """Every component of the app's layouts (frame and pages) by id, found once."""
    found = app.server.config.get("COCKPIT_COMPONENTS")
    if found is None:
        layout = app.validation_layout or app.layout
        found = {}
        if isinstance(layout, Component):
            for component in layout._traverse():
                cid = getattr(component, "id", None)
                if isinstance(cid, str):
                    found[cid] = component
        app.server.config["COCKPIT_COMPONENTS"] = found
    return found


def _property_type(components: dict, cid, prop: str):
    """The type the component's property declares, and the class that declares it. A component
    that no layout declares (drawn later by a callback) may send only a scalar."""
    component = components.get(cid) if isinstance(cid, str) else None
    if component is None:
        return _SCALAR, None
    if isinstance(component, dcc.Dropdown) and prop == "value" and not getattr(component, "multi", False):
        return _SCALAR, None
    return _annotation(type(component), prop), type(component)


@cache
def _annotation(cls: type, prop: str):
    parameter = inspect.signature(cls.__init__).parameters.get(prop)
    if parameter is None or parameter.annotation is inspect.Parameter.empty:
        return typing.Any
    return parameter.annotation


def conforms(value, hint, owner: type | None = None) -> bool:
    """Whether a JSON value fits a typing annotation of Dash's generated components. JSON null
    fits everywhere (a cleared input, an empty cell); constructs it does not know pass."""
    if value is None or hint is typing.Any:
        return True
    if isinstance(hint, (str, typing.ForwardRef)):
        name = hint if isinstance(hint, str) else hint.__forward_arg__
        resolved = getattr(owner, name, None)
        return True if resolved is None else conforms(value, resolved, owner)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated or origin in (NotRequired, Required):
        return conforms(value, args[0], owner)
    if origin is typing.Union:
        return any(conforms(value, a, owner) for a in args)
    if origin is typing.Literal:
        return any(value == a and type(value) is type(a) for a in args)
    if hint in _NUMBERS:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is type(None):
        return False
    if hint is str or hint is bool:
        return isinstance(value, hint)
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return False
        fields = hint.__annotations__
        return all(conforms(v, fields[k], owner) for k, v in value.items() if k in fields)
    if hint is dict or origin in (dict, collections.abc.Mapping):
        if not isinstance(value, dict):
            return False
        if len(args) == 2:
            return all(conforms(k, args[0], owner) and conforms(v, args[1], owner) for k, v in value.items())
        return True
    if hint is list or origin in (list, collections.abc.Sequence, tuple):
        if not isinstance(value, list):
            return False
        return not args or all(conforms(v, args[0], owner) for v in value)
    if hint is typing.Sequence:
        return isinstance(value, list)
    if isinstance(hint, type) and issubclass(hint, Component):
        return isinstance(value, (dict, list, str, int, float))
    if isinstance(hint, type) and hint.__module__ == "datetime":
        return isinstance(value, str)
    return True
