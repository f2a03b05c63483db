"""The area layers load from GeoJSON or, the same layers, from Shapefiles: the refresh's reader
(etl/load/areas.py, used by its first step) gives the same areas either way."""
import shutil

import pandas as pd

from etl.contract import AREA_LAYERS
from etl.load.areas import read_area_layers


def test_shapefiles_load_like_geojson(tiny_source, tmp_path):
    src = tmp_path / "src"                        # the layers as shapefiles only
    shutil.copytree(tiny_source / "shapefile", src / "shapefile")
    assert not any((src / file).exists() for file in AREA_LAYERS.values())
    from_geojson, bad_geojson, counts_geojson = read_area_layers(tiny_source)
    from_shp, bad_shp, counts_shp = read_area_layers(src)
    assert {"grids.shp", "districts.shp"} <= set(counts_shp)
    rows = sorted(v[1:] for v in counts_shp.values())            # (in, loaded, quarantined)
    assert rows == sorted(v[1:] for v in counts_geojson.values())
    assert len(bad_shp) == len(bad_geojson) == 0

    def summary(areas: pd.DataFrame):
        return areas.groupby("level").agg(n=("code", "size"), km2=("area_km2", "sum")).round(3)
    pd.testing.assert_frame_equal(summary(from_shp), summary(from_geojson))
    key = ["level", "code", "valid_from"]
    columns = ["name", "parent_code", "valid_to"]
    pd.testing.assert_frame_equal(from_shp.sort_values(key)[key + columns].reset_index(drop=True),
                                  from_geojson.sort_values(key)[key + columns].reset_index(drop=True),
                                  check_dtype=False)
