"""A refresh publishes while a running cockpit answers requests: no request fails, every response
comes whole from one generation (its numbers are that generation's), and the new generation is
served without a restart."""
import shutil
import threading

from cockpit import ids
from etl.refresh import refresh
from tests.cockpit.expected import screen_counters
from tests.cockpit_process import cockpit_process, http_session, post_callback
from tests.sources import source_with_fewer_events
from warehouse import generations

CLIENTS = 3
OUTPUTS = [(ids.KPI_RESIDENTS, "children"), (ids.KPI_HOUSEHOLDS, "children"),
           (ids.KPI_GRIDS, "children"), (ids.KPI_EVENTS_30D, "children"),
           (ids.KPI_CLOSURE_RATE, "children"), (ids.KPI_CLOSURE_DETAIL, "children"),
           (ids.KPI_ON_TIME_RATE, "children"), (ids.COMMUNITY_MAP, "figure"), (ids.MAP_TITLE, "children"),
           (ids.KPI_GRIDS_DETAIL, "children"), (ids.OVERVIEW_GENERATION, "children")]


def _overview_request(opener, url: str) -> dict:
    """What the browser posts for the overview's callback."""
    status, response = post_callback(opener, url, OUTPUTS, [(ids.GENERATION, "data", None)])
    assert status == 200
    return response


def test_refresh_while_serving(tiny_warehouse, tiny_source, key_file, tmp_path):
    warehouse = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, warehouse)
    first = generations.current(warehouse)
    source = source_with_fewer_events(tiny_source, tmp_path, 0.9)
    answers, errors, stop = [], [], threading.Event()

    def client(url):
        opener = http_session(url)
        while not stop.is_set():
            try:
                answers.append(_overview_request(opener, url))
            except Exception as exc:           # any failure at all is the test failing
                errors.append(repr(exc))
            stop.wait(0.1)     # a busy screen, not a spin loop starving the refresh of the CPU

    with cockpit_process(warehouse) as url:
        threads = [threading.Thread(target=client, args=(url,)) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        try:
            second = refresh(source, warehouse, key_file).generation
            n_before_swap = len(answers)
            while len(answers) < n_before_swap + 2 * CLIENTS and not errors:
                stop.wait(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join(120)
    assert errors == []
    expected = {}
    for gen in (first.id, second):
        exp = screen_counters(generations.generation_path(warehouse, gen), "2202")
        expected[f"数据版本 {gen}"] = (f"{exp['residents']:,}", f"{exp['events']:,}")
    assert expected[f"数据版本 {first.id}"] != expected[f"数据版本 {second}"]
    seen = set()
    for a in answers:
        stamp = a[ids.OVERVIEW_GENERATION]["children"]
        assert (a[ids.KPI_RESIDENTS]["children"], a[ids.KPI_EVENTS_30D]["children"]) == expected[stamp]
        seen.add(stamp)
    assert seen == set(expected)          # the old generation was served, then the new one
    assert answers[-1][ids.OVERVIEW_GENERATION]["children"] == f"数据版本 {second}"
