"""The area layers (district → street → community → grid) from GeoJSON/Shapefile into one table,
wh.core.areas; features that cannot be loaded go to quarantine."""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from etl.contract import AREA_LAYERS
from etl.load import bookkeeping, topology
from etl.load.extract import SourceError
from etl.run import Run
from warehouse.areas import CODE_LENGTH

log = logging.getLogger(__name__)
PARENT = {"street": "district", "community": "street", "grid": "community"}


def _layer_path(source: Path, file: str) -> Path:
    """The GeoJSON, or else the same layer as a Shapefile."""
    path = source / file
    if path.exists():
        return path
    shp = [p for p in (source / file.replace(".geojson", ".shp"),
                       source / "shapefile" / file.replace(".geojson", ".shp")) if p.exists()]
    if not shp:
        raise SourceError(f"缺少网格图层 {file} 或同名 .shp (missing area layer {path})")
    return shp[0]


def area_layer_paths(source: Path) -> list[Path]:
    """The file read for each level; a Shapefile's .dbf too (its attributes)."""
    paths = []
    for file in AREA_LAYERS.values():
        path = _layer_path(source, file)
        paths += [path] + ([path.with_suffix(".dbf")] if path.suffix == ".shp" else [])
    return paths


def load(run: Run) -> None:
    """wh.core.areas from the source folder's layers, their topology checked (etl/load/topology.py)."""
    log.info("读取网格图层 …")
    con = run.con
    areas, bad, counts = read_area_layers(run.source)
    con.register("areas_df", areas)
    con.execute("CREATE TABLE wh.core.areas AS SELECT * FROM areas_df")
    con.unregister("areas_df")
    topology.record(run, areas)
    if len(bad):
        bad.insert(0, "run_id", run.run_id)
        con.register("bad", bad)
        con.execute("INSERT INTO wh.ops.quarantine SELECT * FROM bad")
        con.unregister("bad")
    for file, (sha, n_in, n_ok, n_bad) in counts.items():
        bookkeeping.log_file(run, file, sha, "utf-8", n_in, n_ok, n_bad)


def read_area_layers(source: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Returns (areas, quarantine, per-file counts). Geometry is kept as WKB, in WGS-84."""
    rows, bad, counts = [], [], {}
    known: dict[str, set] = {}
    for level, file in AREA_LAYERS.items():
        path = _layer_path(source, file)
        file = path.name
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:      # pyogrio raises several kinds for unreadable files
            raise SourceError(f"{file}: 无法读取 ({exc})") from None
        missing = {"code", "name"} - set(gdf.columns)
        if missing:
            raise SourceError(f"{file}: 缺少属性 {', '.join(sorted(missing))} (missing properties)")
        if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(4326)
        gdf["code"] = gdf["code"].astype(str).str.strip()
        n = CODE_LENGTH[level]
        if "urban" in gdf.columns:
            gdf["urban"] = gdf["urban"].astype(bool)
        problems = pd.Series("", index=gdf.index)
        problems[~gdf["code"].str.fullmatch(rf"[0-9]{{{n}}}")] = "code_format"     # ASCII digits only
        # a versioned layer (the grids) keys on code and valid_from; others on code
        valid_from, valid_to, bad_date = _validity(gdf)
        problems[(problems == "") & bad_date] = "type_date"
        problems[(problems == "") & pd.DataFrame({"c": gdf["code"], "f": valid_from}).duplicated()] = \
            "duplicate_key"
        reversed_ = valid_to.notna() & valid_from.notna() & (valid_to <= valid_from)
        problems[(problems == "") & reversed_] = "valid_to_before_valid_from"
        if level in PARENT:
            parent_ok = gdf["code"].str[: CODE_LENGTH[PARENT[level]]].isin(known[PARENT[level]])
            problems[(problems == "") & ~parent_ok] = "unknown_parent"
        geom_ok = gdf.geometry.notna() & shapely.is_valid(gdf.geometry.to_numpy()) \
            & gdf.geom_type.isin(["Polygon", "MultiPolygon"])
        problems[(problems == "") & ~geom_ok] = "invalid_geometry"
        problems[(problems == "") & _overlapping(gdf["code"], valid_from, valid_to, problems == "")] = \
            "overlapping_versions"
        for i in gdf.index[problems != ""]:
            # for a layer, "line" is the feature's number (1-based) in the file
            bad.append({"file": file, "line": int(i) + 1, "column_name": "code",
                        "rule": problems[i], "raw_value": gdf.at[i, "code"]})
        good = gdf[problems == ""]
        known[level] = set(good["code"])
        metric = good.to_crs(32652)
        rows.append(pd.DataFrame({
            "code": good["code"], "name": good["name"].astype(str), "level": level,
            "kind": good["kind"] if "kind" in good else None,
            "parent_code": good["code"].str[: CODE_LENGTH[PARENT[level]]] if level in PARENT else None,
            "urban": good["urban"].astype(bool) if "urban" in good else None,
            "area_km2": metric.area.to_numpy() / 1e6,
            "centroid_lon": good.geometry.representative_point().x,
            "centroid_lat": good.geometry.representative_point().y,
            "valid_from": valid_from[problems == ""],
            "valid_to": valid_to[problems == ""],
            "worker_account": good["worker_account"].astype(str) if "worker_account" in good
            else good["worker"].astype(str) if "worker" in good else None,
            "geometry_wkb": shapely.to_wkb(good.geometry.to_numpy()),
        }))
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        counts[file] = (sha, len(gdf), len(good), int((problems != "").sum()))
    return pd.concat(rows, ignore_index=True), pd.DataFrame(bad), counts


def _validity(gdf) -> tuple[pd.Series, pd.Series, pd.Series]:
    """valid_from / valid_to as dates (NaT when empty: always / still valid), and which rows
    hold a value that is not a YYYY-MM-DD date."""
    bad = pd.Series(False, index=gdf.index)

    def dates(col):
        nonlocal bad
        if col not in gdf:
            return pd.Series(pd.NaT, index=gdf.index, dtype="datetime64[s]")
        text = gdf[col].astype("string").str.strip().replace({"": None, "None": None, "nan": None})
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[s]")
        bad |= parsed.isna() & text.notna()
        return parsed
    return dates("valid_from"), dates("valid_to"), bad


def _overlapping(code, valid_from, valid_to, ok) -> pd.Series:
    """Versions of one code whose periods overlap (an open start or end overlaps everything):
    each but the first of such a pair."""
    frame = pd.DataFrame({"code": code, "f": valid_from, "t": valid_to})[ok] \
        .sort_values(["code", "f"], na_position="first")
    prev_to = frame.groupby("code")["t"].shift()
    later = frame.groupby("code").cumcount() > 0
    overlap = later & (prev_to.isna() | frame["f"].isna() | (prev_to > frame["f"]))
    out = pd.Series(False, index=code.index)
    out[frame.index[overlap.to_numpy()]] = True
    return out
