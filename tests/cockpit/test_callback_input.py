"""Forged callback input: whatever a script posts in place of any input or state of any callback
(a list or object where a string is expected, a string where a number is, a huge text, NUL),
the answer is the callback's own (200/204) or 400, never a 500."""
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cockpit.callback_check import conforms
from tests.cockpit.web import UPDATE, client

FORGED = [["220204"], {"code": "220204"}, 3.5, True, "x" * 5000 + "\x00"]
_CLIENTS = {}


def _client(world, account):
    if account not in _CLIENTS:
        _CLIENTS[account] = client(world, account)
    return _CLIENTS[account]


def _server_callbacks(world):
    return sorted(k for k, v in world["app"].callback_map.items() if v.get("callback") is not None)


def _entries(spec_items, values):
    out = []
    for item, value in zip(spec_items, values):
        if item["id"].startswith("{"):           # a pattern-matching input: a list of entries
            pattern = json.loads(item["id"])
            cid = {k: ("x" if v == ["ALL"] else v) for k, v in pattern.items()}
            out.append([{"id": cid, "property": item["property"], "value": value}])
        else:
            out.append({"id": item["id"], "property": item["property"], "value": value})
    return out


def _body(world, key, inputs, state):
    spec = world["app"].callback_map[key]
    names = key[2:-2].split("...") if key.startswith("..") else [key]
    outputs = [{"id": n.rsplit(".", 1)[0], "property": n.rsplit(".", 1)[1]} for n in names]
    return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
            "inputs": _entries(spec["inputs"], inputs), "state": _entries(spec["state"], state),
            "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}


@pytest.mark.parametrize("shard", range(4))           # in four parts: xdist spreads them
def test_every_forged_value_in_every_position_is_answered_without_a_500(world, shard):
    c, failures = _client(world, "admin"), []
    for key in _server_callbacks(world)[shard::4]:
        spec = world["app"].callback_map[key]
        n_in, n_state = len(spec["inputs"]), len(spec["state"])
        for position in range(n_in + n_state):
            for forged in FORGED:
                values = [None] * (n_in + n_state)
                values[position] = forged
                r = c.post(UPDATE, json=_body(world, key, values[:n_in], values[n_in:]))
                if r.status_code not in (200, 204, 400):
                    failures.append((key[:60], position, repr(forged)[:20], r.status_code))
    assert failures == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=3), max_leaves=10))
def test_a_body_of_any_shape_is_refused_not_failed(world, body):
    r = _client(world, "street").post(UPDATE, json=body)
    assert r.status_code in (400, 403)


@pytest.mark.parametrize("value, hint, ok", [
    ("a", str, True), (["a"], str, False), (None, str, True), (True, int, False), (2.5, float, True),
    ({"a": 1}, dict, True), ([1, "x"], list, True), ({"a": 1}, list, False), ("1", int, False)])
def test_conforms_to_simple_hints(value, hint, ok):
    assert conforms(value, hint) is ok


def test_every_callback_input_is_a_component_some_layout_declares(world):
    """A component no layout declares (drawn by a callback) may only send scalars: the check
    cannot know its type. Only the grid map's breadcrumbs (n_clicks) are such; a new one with
    a list or object property must be declared in a layout, or its requests would be refused."""
    from cockpit.callback_check import _components
    components = _components(world["app"])
    undeclared = {(i["id"], i["property"]) for spec in world["app"].callback_map.values()
                  for i in spec["inputs"] + spec["state"] if i["id"] not in components}
    assert undeclared == {('{"code":["ALL"],"type":"grid-map-crumb"}', "n_clicks")}
