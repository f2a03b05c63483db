"""Grid topology: overlaps, gaps and ground outside the community beyond a tolerance, with the
grids involved, on every date the layer changes; the refresh warns or refuses by its setting."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box

from etl import runlog
from etl.geo.crs import CANONICAL_CRS, METRIC_CRS
from etl.load.topology import check
from etl.refresh import refresh
from etl.run import PublishRefused, PublishRules

TO_WGS = Transformer.from_crs(METRIC_CRS, CANONICAL_CRS, always_xy=True)
X0, Y0 = 600_000, 4_850_000          # metres in UTM 52N, near Jilin City


def _wgs(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_WGS.transform(xy[:, 0] + X0, xy[:, 1] + Y0)))


def _layer(grids: dict, community=box(0, 0, 1000, 1000), versions: dict | None = None) -> pd.DataFrame:
    """A community of 1 km² and its grids (code → metric polygon), all current unless
    `versions` gives code → (valid_from, valid_to)."""
    rows = [("220204001001", "community", "220204001", community, None, None)]
    for code, geom in grids.items():
        start, stop = (versions or {}).get(code, (None, None))
        rows.append((code, "grid", "220204001001", geom, start, stop))
    return pd.DataFrame({
        "code": [r[0] for r in rows], "level": [r[1] for r in rows], "parent_code": [r[2] for r in rows],
        "valid_from": pd.to_datetime([r[4] for r in rows]), "valid_to": pd.to_datetime([r[5] for r in rows]),
        "geometry_wkb": [shapely.to_wkb(_wgs(r[3])) for r in rows]})


FOUR = {"220204001001001": box(0, 0, 500, 500), "220204001001002": box(500, 0, 1000, 500),
        "220204001001003": box(0, 500, 500, 1000), "220204001001004": box(500, 500, 1000, 1000)}


def test_grids_that_tile_their_community_pass():
    assert check(_layer(FOUR), 1.0).empty


def test_a_grown_grid_overlaps_its_neighbours_and_leaves_the_community():
    grown = dict(FOUR, **{"220204001001001": box(0, 0, 500, 500).buffer(40, join_style="mitre")})
    found = check(_layer(grown), 100.0)
    overlaps = found[found["problem"] == "overlap"]
    assert set(overlaps["grid_codes"]) == {"220204001001001;220204001001002", "220204001001001;220204001001003",
                                           "220204001001001;220204001001004"}
    side = overlaps.set_index("grid_codes")["area_m2"]["220204001001001;220204001001002"]
    assert side == pytest.approx(40 * 500, rel=0.02)          # 40 m over its 500 m edge
    outside = found[found["problem"] == "outside_community"]
    assert list(outside["grid_codes"]) == ["220204001001001"]
    assert outside["area_m2"].iloc[0] == pytest.approx(2 * 40 * 580 - 40 * 40, rel=0.02)   # west and south


def test_a_gap_names_the_grids_along_it_and_a_sliver_within_tolerance_does_not_count():
    shrunk = dict(FOUR, **{"220204001001004": box(520, 500, 1000, 1000)})     # a 20 m strip left bare
    [gap] = check(_layer(shrunk), 100.0).itertuples()
    assert gap.problem == "gap" and gap.area_m2 == pytest.approx(20 * 500, rel=0.01)
    assert gap.grid_codes == "220204001001001;220204001001002;220204001001003;220204001001004"   # 001 at a corner
    assert check(_layer(shrunk), 20 * 500 * 1.05).empty


def test_each_version_of_the_layer_is_checked_from_its_first_day():
    """Grid 004 is split on 2026-03-01 into 005 and 006, and 006 is drawn too small."""
    split = dict(FOUR, **{"220204001001005": box(500, 500, 1000, 750),
                          "220204001001006": box(500, 750, 900, 1000)})
    versions = {"220204001001004": (None, "2026-03-01"), "220204001001005": ("2026-03-01", None),
                "220204001001006": ("2026-03-01", None)}
    [gap] = check(_layer(split, versions=versions), 100.0, today=dt.date(2026, 12, 1)).itertuples()
    assert gap.problem == "gap" and gap.check_date == dt.date(2026, 3, 1)
    before = check(_layer(split, versions=versions), 100.0, today=dt.date(2026, 2, 1))
    assert before.empty


def test_the_refresh_refuses_a_grid_layer_that_does_not_tile_when_told_to(tiny_dirty, key_file, tmp_path):
    src, manifest = tiny_dirty
    [grown] = [e for e in manifest["defects"] if e["defect"] == "grid_overlap"]
    with pytest.raises(PublishRefused, match="网格拓扑") as err:
        refresh(src, tmp_path / "wh", key_file, rules=PublishRules(topology="refuse"))
    assert grown["key"] in str(err.value)
    run = runlog.runs(tmp_path / "wh")[0]
    assert (run["status"], run["exit_code"]) == ("rejected", 4) and "网格拓扑" in run["error"]
    assert not (tmp_path / "wh" / "CURRENT").exists()
