"""`python -m etl generate`: write a complete, deterministic set of source files for a scale."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import duckdb
import numpy as np

from etl import contract
from etl.generate.events import generate_events, write_events
from etl.generate.geography import build_area_layers, load_districts
from etl.generate.incidents import TRUTH_FILE
from etl.generate.population import generate_population
from etl.generate.scales import SCALES
from etl.generate.services import generate_services, write_services
from etl.paths import DISTRICTS_GEOJSON
from etl.reference import load_event_categories

log = logging.getLogger(__name__)


def generate(scale_name: str, out: Path, seed: int) -> dict:
    scale = SCALES[scale_name]
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)

    log.info("生成网格图层 (area layers) …")
    layers = build_area_layers(load_districts(DISTRICTS_GEOJSON), scale.plans, seed)
    if scale.keep_streets:
        layers = _keep_streets(layers, scale.keep_streets)
    counts = {}
    for level, file in contract.AREA_LAYERS.items():
        gdf = getattr(layers, _attr(level))
        (out / file).write_text(gdf.to_json(ensure_ascii=False, drop_id=True), encoding="utf-8")
        counts[file] = len(gdf)
        _write_shapefile(gdf, out / SHAPEFILE_DIR / file.replace(".geojson", ".shp"))

    log.info("生成实有人口 (households, persons) …")
    grids = layers.grids.reset_index(drop=True)
    households, persons, per_grid = generate_population(grids, scale, rng)

    log.info("生成事件 (events) …")
    categories = load_event_categories()
    events, truth = generate_events(grids, per_grid, categories, scale, rng)
    log.info("写出文件 (writing files) …")
    for spec, df in ((contract.HOUSEHOLDS, households), (contract.PERSONS, persons)):
        counts[spec.file] = write_csv(df, spec, out / spec.file)
    counts[contract.EVENTS.file] = write_events(
        events, categories, grids, {c.name: c.header for c in contract.EVENTS.columns},
        out / contract.EVENTS.file)
    log.info("生成需求、服务、志愿者、物业、账号 (needs, services, volunteers, property, accounts) …")
    counts.update(write_services(generate_services(layers, per_grid, scale, rng), out))
    # ground truth for evaluating early warning: beside the sources, never read by the ETL
    truth.to_csv(out / TRUTH_FILE, index=False)
    counts[TRUTH_FILE] = len(truth)
    manifest = {"scale": scale_name, "seed": seed, "start": str(scale.start), "end": str(scale.end),
                "rows": counts}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    log.info("完成: %s in %.1f s", counts, time.perf_counter() - t0)
    return manifest


SHAPEFILE_DIR = "shapefile"   # the same layers as many GIS desks export them


def _write_shapefile(gdf, path: Path) -> None:
    """Shapefile fields: at most 10 ASCII characters, no booleans; UTF-8 declared in the .cpg."""
    path.parent.mkdir(exist_ok=True)
    cols = [c for c in ("code", "name", "kind") if c in gdf.columns]
    shp = gdf[cols + ["geometry"]].copy()
    if "urban" in gdf.columns:
        shp["urban"] = gdf["urban"].astype(int)
    shp.to_file(path, driver="ESRI Shapefile", encoding="UTF-8")
    with open(path.with_suffix(".dbf"), "r+b") as dbf:     # the header stamps today's date:
        dbf.seek(1)                                        # pin it, same seed → same bytes
        dbf.write(bytes([100, 1, 1]))


def _attr(level: str) -> str:
    return "communities" if level == "community" else level + "s"


def _keep_streets(layers, n: int):
    """Keep the first n streets (urban streets first, then townships) and everything inside."""
    streets = layers.streets.sort_values(["urban", "code"], ascending=[False, True])
    keep = set(streets["code"].head(n - 1)) | set(streets[~streets["urban"]]["code"].head(1))
    layers.streets = layers.streets[layers.streets["code"].isin(keep)].reset_index(drop=True)
    layers.communities = layers.communities[layers.communities["street_code"].isin(keep)] \
        .reset_index(drop=True)
    layers.grids = layers.grids[layers.grids["street_code"].isin(keep)].reset_index(drop=True)
    return layers


def write_csv(table, spec: contract.SourceFile, path: Path) -> int:
    """Write an Arrow table with the source system's Chinese headers."""
    frame = table.select([c.name for c in spec.columns]).rename_columns([c.header for c in spec.columns])
    con = duckdb.connect()
    con.register("frame", frame)
    target = str(path).replace("'", "''")  # COPY takes no bound file name
    con.execute(f"COPY (SELECT * FROM frame) TO '{target}' (HEADER, DELIMITER ',')")
    con.close()
    return frame.num_rows
