"""The frame: a page loads knowing the generation served, and its tick asks only whether a new
one is served (the views redraw on a new generation, or every REDRAW_TICKS ticks, not on every
tick)."""
import json

from cockpit import ids
from tests.cockpit.web import client, post
from warehouse import generations


def _store(layout: dict):
    """The generation store in a layout tree, found by id wherever Dash put it."""
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == ids.GENERATION:
                return node["props"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError("no generation store in the layout")


def test_a_page_loads_with_the_served_generation(world, tiny_warehouse):
    layout = json.loads(client(world, "street").get("/_dash-layout").get_data(as_text=True))
    assert _store(layout)["data"] == {"generation": generations.current(tiny_warehouse).id, "round": 0}


def test_a_tick_changes_the_store_only_for_another_generation_or_a_new_round(world, tiny_warehouse):
    from cockpit.layout import REDRAW_TICKS
    served = generations.current(tiny_warehouse).id
    tick, store = (ids.FRAME_TICK, "n_intervals"), (ids.GENERATION, "data")
    c = client(world, "street")
    shown = {"generation": served, "round": 0}
    status, out = post(c, world, ids.GENERATION, {tick: 3, store: shown})
    assert status in (200, 204) and not out          # same generation: nothing for the page to redraw
    status, out = post(c, world, ids.GENERATION, {tick: 4, store: {"generation": "an-older-one", "round": 0}})
    assert status == 200 and out == {f"{ids.GENERATION}.data": shown}
    status, out = post(c, world, ids.GENERATION, {tick: REDRAW_TICKS, store: shown})
    assert status == 200 and out == {f"{ids.GENERATION}.data": {"generation": served, "round": 1}}
