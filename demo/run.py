"""`python -m demo generate`: write a complete, deterministic set of source files for a scale.

The city is generated in shards of whole streets (about SHARD_GRIDS grids each), in parallel
worker processes; each shard writes its rows of every table to a part file and the parts are
joined in shard order. Memory is bounded by the shard, not the city, and the files depend only
on the seed, never on the number of workers."""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from demo.events import department_speeds, event_table, generate_events
from demo.geography import AreaLayers, build_area_layers, load_districts
from demo.grid_versions import code_on, current, version_grids
from demo.incidents import TRUTH_FILE
from demo.organisations import generate_organisations, property_firm_organisations
from demo.population import generate_population
from demo.scales import SCALES, Scale
from demo.services import generate_services, write_services
from etl import contract
from etl.load.reference import load_event_categories
from etl.paths import DISTRICTS_GEOJSON

log = logging.getLogger(__name__)

SHARD_GRIDS = 120
SHAPEFILE_DIR = "shapefile"   # the same layers as many GIS desks export them
PARTS_DIR = ".parts"
# tables written by the shards, in the order their parts are joined
SHARD_TABLES = ("addresses", "houses", "households", "persons", "organisations", "events")


@dataclass
class Shard:
    index: int
    count: int
    in_district: tuple[int, int]  # (k, K) among the shards of its district
    scale: Scale
    grids: pd.DataFrame           # original grids (valid at the start), with geometry
    versions: pd.DataFrame        # every version of these grids
    names: dict[str, np.ndarray]  # district / street / community name per grid
    seed: np.random.SeedSequence
    incidents: int
    department_speed: np.ndarray
    parts: Path


def generate(scale_name: str, out: Path, seed: int, workers: int | None = None, events_factor: float = 1.0) -> dict:
    """`events_factor`: events per resident multiplied (the growth curve's city ×2 and ×4,
    bench/README.md); the register, the map and the services stay the scale's."""
    scale = SCALES[scale_name]
    if events_factor != 1.0:
        scale = replace(scale, events_per_resident_year=scale.events_per_resident_year * events_factor)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    layer_seed, shard_seed, services_seed, department_seed = np.random.SeedSequence(seed).spawn(4)

    log.info("生成网格图层 (area layers) …")
    layers = build_area_layers(load_districts(DISTRICTS_GEOJSON), scale.plans, seed)
    if scale.keep_streets:
        layers = _keep_streets(layers, scale.keep_streets)
    grids = layers.grids.reset_index(drop=True)
    versions = version_grids(grids, scale.start, scale.end, np.random.default_rng(layer_seed),
                             n_splits=scale.grid_splits, n_redraws=scale.grid_redraws)

    speed = department_speeds(load_event_categories(), np.random.default_rng(department_seed))
    shards = _shards(scale, layers, grids, versions, shard_seed, speed, out / PARTS_DIR)
    workers = max(1, min(workers or os.cpu_count() or 1, len(shards)))
    log.info("生成实有人口、房屋、单位、事件 (%d shards, %d workers) …", len(shards), workers)
    if workers == 1:
        results = [_generate_shard(s) for s in shards]
    else:   # fork: children share the imported modules; nothing threaded has started yet
        biggest_first = sorted(range(len(shards)), key=lambda k: -len(shards[k].grids))
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = pool.map(_generate_shard, [shards[k] for k in biggest_first], chunksize=1)
        results = [r for _, r in sorted(zip(biggest_first, done))]

    _join_parts(out, out / PARTS_DIR)
    counts = {f: sum(r["counts"][f] for r in results) for f in results[0]["counts"]}
    residents = pd.concat([r["residents"] for r in results]).groupby(level=0).sum()
    truth = pd.concat([r["truth"] for r in results], ignore_index=True)
    truth["incident_id"] = [f"INC{i + 1:03d}" for i in range(len(truth))]

    log.info("生成需求、服务、志愿者、物业、账号 (needs, services, volunteers, property, accounts) …")
    now = current(versions).reset_index(drop=True)
    now_layers = AreaLayers(layers.districts, layers.streets, layers.communities, now)
    per_grid = residents.reindex(now["code"]).fillna(0).to_numpy()
    services = generate_services(now_layers, per_grid, scale, np.random.default_rng(services_seed),
                                 credit_code_slot=(len(shards), len(shards) + 1))
    counts.update(write_services(services, out))
    firms = property_firm_organisations(services["property_firms"], now, _area_names(layers, now),
                                        np.random.default_rng(services_seed.spawn(1)[0]))
    for name, table in zip(("organisations", "addresses", "houses"), firms):
        counts[contract.BY_TABLE[name].file] += _append_csv(table, contract.BY_TABLE[name], out)

    counts.update(_write_area_layers(layers, versions, services["accounts"], out))
    # ground truth for evaluating early warning: beside the sources, never read by the ETL
    truth.to_csv(out / TRUTH_FILE, index=False)
    counts[TRUTH_FILE] = len(truth)
    manifest = {"scale": scale_name, "events_factor": events_factor, "seed": seed, "start": str(scale.start), "end": str(scale.end),
                "shards": len(shards), "rows": counts}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    log.info("完成: %s in %.1f s", counts, time.perf_counter() - t0)
    return manifest


def _shards(scale: Scale, layers: AreaLayers, grids, versions, seed, department_speed,
            parts: Path) -> list[Shard]:
    """Whole streets in code order, a new shard once one holds SHARD_GRIDS grids or at the
    start of a district (a shard never spans two)."""
    street_of = grids["street_code"].to_numpy()
    groups, size = [[]], 0
    for street, n in pd.Series(street_of).value_counts().sort_index().items():
        if groups[-1] and (size >= SHARD_GRIDS or street[:6] != groups[-1][-1][:6]):
            groups.append([])
            size = 0
        groups[-1].append(street)
        size += n
    district = [g[0][:6] for g in groups]
    names = _area_names(layers, grids)
    shares = np.array([np.isin(street_of, g).sum() for g in groups]) / len(grids)
    incidents = _apportion(scale.incidents, shares)
    shutil.rmtree(parts, ignore_errors=True)
    out = []
    for k, (streets, seq) in enumerate(zip(groups, seed.spawn(len(groups)))):
        rows = np.isin(street_of, streets)
        in_district = (district[:k].count(district[k]), district.count(district[k]))
        out.append(Shard(k, len(groups), in_district, scale, grids[rows].reset_index(drop=True),
                         versions[versions["street_code"].isin(streets)].reset_index(drop=True),
                         {key: v[rows] for key, v in names.items()},
                         seq, int(incidents[k]), department_speed, parts))
    return out


def _area_names(layers: AreaLayers, grids) -> dict[str, np.ndarray]:
    """District, street and community name of each grid."""
    def name(level, code_col):
        table = getattr(layers, level)
        return grids[code_col].map(dict(zip(table["code"], table["name"]))).to_numpy().astype(str)
    return {"district": name("districts", "district_code"), "street": name("streets", "street_code"),
            "community": name("communities", "community_code")}


def _append_csv(table, spec: contract.SourceFile, out: Path) -> int:
    part = out / (spec.file + ".part")
    rows = write_csv(table, spec, part, header=False)
    with open(out / spec.file, "ab") as target, open(part, "rb") as f:
        shutil.copyfileobj(f, target)
    part.unlink()
    return rows


def _apportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Integers summing to `total` in proportion to `shares` (largest remainders)."""
    raw = total * shares
    n = np.floor(raw).astype(int)
    n[np.argsort(n - raw)[: total - n.sum()]] += 1
    return n


def _generate_shard(shard: Shard) -> dict:
    scale = shard.scale
    rng = np.random.default_rng(shard.seed)
    grids, versions = shard.grids, shard.versions
    g_code = grids["code"].to_numpy().astype(str)
    pop = generate_population(grids, shard.names, scale, rng,
                              shard=(shard.in_district, (shard.index, shard.count)))
    organisations, org_addresses, org_houses = generate_organisations(
        grids, pop.buildings, pop.persons_per_grid, shard.names, scale.end, rng,
        code_slot=(shard.index, shard.count + 1))      # the last slot is the property firms'

    changed = np.isin(g_code, versions.loc[versions["valid_to"].notna(), "code"].to_numpy())
    events, truth = generate_events(grids, pop.persons_per_grid, load_event_categories(), scale, rng,
                                    shard.incidents, shard.department_speed, incident_grids=~changed)
    event_code = code_on(versions, g_code[events["grid"].to_numpy()], events["lon"].to_numpy(),
                         events["lat"].to_numpy(), events["reported_at"].to_numpy())

    # everything on an address lives in the grid as it is drawn at the end of the period
    addresses = pa.concat_tables([pop.addresses, org_addresses.cast(pop.addresses.schema)])
    addresses = _set(addresses, "grid_code", code_on(
        versions, addresses["grid_code"].to_numpy(zero_copy_only=False), addresses["lon"].to_numpy(),
        addresses["lat"].to_numpy(), np.datetime64(scale.end)))
    tables = {"addresses": addresses,
              "houses": pa.concat_tables([pop.houses, org_houses.cast(pop.houses.schema)]),
              "households": pop.households, "persons": pop.persons, "organisations": organisations}
    for name in ("houses", "households", "persons", "organisations"):
        at = pc.index_in(tables[name]["address_id"], value_set=addresses["address_id"])
        tables[name] = _set(tables[name], "grid_code", addresses["grid_code"].take(at))

    shard.parts.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, table in tables.items():
        spec = contract.BY_TABLE[name]
        counts[spec.file] = write_csv(table, spec, _part(shard, name), header=False)
    table = event_table(events, event_code, versions[["code", "name"]].drop_duplicates("code"),
                        load_event_categories())
    counts[contract.EVENTS.file] = write_csv(table, contract.EVENTS, _part(shard, "events"), header=False)
    residents = pd.Series(tables["persons"]["grid_code"].to_numpy(zero_copy_only=False)).value_counts()
    return {"counts": counts, "residents": residents, "truth": truth}


def _set(table: pa.Table, column: str, values) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column,
                            pa.array(values, type=pa.string()))


def _part(shard: Shard, table: str) -> Path:
    return shard.parts / f"{table}.{shard.index:04d}.csv"


def _join_parts(out: Path, parts: Path) -> None:
    """Header line, then each shard's part in shard order."""
    for name in SHARD_TABLES:
        spec = contract.BY_TABLE[name]
        with open(out / spec.file, "wb") as target:
            target.write(_header_line(spec))
            for part in sorted(parts.glob(f"{name}.*.csv")):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, target, 16 << 20)
    shutil.rmtree(parts)


def _write_area_layers(layers: AreaLayers, versions, accounts, out: Path) -> dict:
    """GeoJSON and Shapefile per level; grids with every version and their grid worker."""
    worker = _grid_workers(accounts)
    grids = versions.copy()
    grids["worker_account"] = grids["code"].map(worker)
    for col in ("valid_from", "valid_to"):                  # dates as ISO text, None when open
        grids[col] = [d.isoformat() if pd.notna(d) else None for d in grids[col]]
    counts = {}
    for level, file in contract.AREA_LAYERS.items():
        gdf = grids if level == "grid" else getattr(layers, _attr(level))
        (out / file).write_text(gdf.to_json(ensure_ascii=False, drop_id=True), encoding="utf-8")
        counts[file] = len(gdf)
        _write_shapefile(gdf, out / SHAPEFILE_DIR / file.replace(".geojson", ".shp"))
    return counts


def _grid_workers(accounts) -> dict:
    """Grid code → the account of its full-time grid worker (the first 专职网格员)."""
    a = accounts.select(["account_id", "level", "area_code", "role"]).to_pandas()
    a = a[(a["level"] == "网格") & (a["role"] == "专职网格员")]
    return a.drop_duplicates("area_code").set_index("area_code")["account_id"].to_dict()


def _write_shapefile(gdf, path: Path) -> None:
    """Shapefile fields: at most 10 ASCII characters, no booleans; UTF-8 declared in the .cpg."""
    path.parent.mkdir(exist_ok=True)
    fields = {"code": "code", "name": "name", "kind": "kind", "valid_from": "valid_from",
              "valid_to": "valid_to", "worker_account": "worker"}
    shp = gdf[[c for c in fields if c in gdf.columns] + ["geometry"]].rename(columns=fields)
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


def write_csv(table: pa.Table, spec: contract.SourceFile, path: Path, header: bool = True) -> int:
    """Write an Arrow table with the source system's Chinese headers: RFC 4180 without quotes
    (the writer refuses a value that would need them), empty cells for nulls, times as
    YYYY-MM-DD HH:MM:SS."""
    frame = table.select([c.name for c in spec.columns])
    with open(path, "wb") as f:
        if header:      # written here: Arrow quotes some header names (those with brackets)
            f.write(_header_line(spec))
        pcsv.write_csv(frame, f, write_options=pcsv.WriteOptions(include_header=False,
                                                                quoting_style="none"))
    return frame.num_rows


def _header_line(spec: contract.SourceFile) -> bytes:
    return (",".join(c.header for c in spec.columns) + "\n").encode("utf-8")
