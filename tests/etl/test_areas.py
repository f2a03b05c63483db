"""The area layers load from GeoJSON or, the same layers, from Shapefiles."""
import shutil

import duckdb

from etl.contract import AREA_LAYERS
from etl.refresh import refresh
from tests.conftest import served_db


def test_shapefiles_load_like_geojson(tiny_source, tiny_db, key_file, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(tiny_source, src)
    for file in AREA_LAYERS.values():
        (src / file).unlink()
    refresh(src, tmp_path / "wh", key_file)
    db = served_db(tmp_path / "wh")
    query = "SELECT level, count(*), round(sum(area_km2), 3) FROM areas GROUP BY level ORDER BY level"
    from_shp = duckdb.connect(str(db), read_only=True).execute(query).fetchall()
    from_geojson = duckdb.connect(str(tiny_db), read_only=True).execute(query).fetchall()
    assert from_shp == from_geojson
    log = duckdb.connect(str(db), read_only=True).execute("SELECT file FROM load_log").fetchall()
    assert ("grids.shp",) in log
