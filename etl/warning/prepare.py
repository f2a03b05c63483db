"""Everything early warning reads from a built warehouse: the series it tests and their baselines.

A series is a row × a tier. Rows are every area (grids, communities, streets, districts, the
city: `series.Areas`) and every 片区 (a grid and its nearest neighbours, `neighbourhoods`: a
cluster that straddles a community or street boundary is inside one of them). Tiers are each
subclass, each class of several subclasses, all reports, several subclasses at once in one place
(MULTI: a storm's waterlogging, road damage and power reports; screen.py combines the subclasses'
own tests, it has no series of its own) and the grid workers' patrol reports (for drops only). A class's, all reports' and a 片区's baseline is the sum of its parts': μ adds
up, and so does the variance μ + φμ²."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from etl import cores
from etl.warning import baseline, series
from etl.warning.settings import Settings
from warehouse.areas import SHORT_LEVEL_NAMES

ALL, PATROL, MULTI = "ALL", "PATROL", "MULTI"
NBHD = "nbhd"                         # the level of a 片区
LEVELS = ("grid", NBHD, "community", "street", "district", "city")
LEVEL_NAMES = {**SHORT_LEVEL_NAMES, NBHD: "片区"}
FINE = {"grid", NBHD, "community"}    # a few grids: alarms here stand for themselves


@dataclass(frozen=True)
class Tier:
    code: str                         # subclass code, class code, ALL, MULTI or PATROL
    kind: str                         # subclass | class | all | multi | patrol
    members: tuple[str, ...]          # the subclasses it adds up (PATROL: none, it has its own)
    name: str


@dataclass
class Rows:
    """Areas then 片区: codes, names, levels, and each row's grids (rows × grids, 0/1)."""
    codes: np.ndarray
    names: np.ndarray
    levels: np.ndarray
    grids: sparse.csr_matrix
    n_areas: int
    skip: np.ndarray                  # rows with the same grids as a finer row: never alarmed

    def footprint(self, row: int) -> np.ndarray:
        return self.grids.indices[self.grids.indptr[row]:self.grids.indptr[row + 1]]

    @property
    def size(self) -> np.ndarray:
        return np.diff(self.grids.indptr)


@dataclass
class Prepared:
    cal: series.Calendar
    areas: series.Areas
    blocks: baseline.Blocks
    categories: pd.DataFrame           # indexed by subclass_code
    cells: dict[str, series.Cells]
    models: dict[str, baseline.Model]
    patrol: series.Cells
    patrol_model: baseline.Model
    rows: Rows
    tiers: list[Tier]
    near: list[np.ndarray]             # per grid, the grids within link_km (itself included)

    @property
    def n_days(self) -> int:
        return len(self.cal.days)

    def with_cells(self, cells: dict[str, series.Cells], patrol: series.Cells) -> "Prepared":
        """The same areas and calendar with other counts (planted trials), baselines refitted."""
        models = fit_models(self.areas, self.cal, self.blocks, {**cells, PATROL: patrol})
        return replace(self, cells=cells, patrol=patrol, patrol_model=models.pop(PATROL), models=models)


def city_counts(areas: series.Areas, cells: series.Cells, n_days: int) -> np.ndarray:
    city = areas.level_rows("city")[0]
    at = cells.area == city
    return np.bincount(cells.day[at], cells.n[at], n_days)


def fit_models(areas, cal, blocks, cells: dict[str, series.Cells]) -> dict[str, baseline.Model]:
    exposure = baseline.exposure_factor(areas, blocks)
    prior = baseline.prior_shares(areas, blocks, [c for k, c in cells.items() if k != PATROL], exposure)
    codes = sorted(cells)
    city, back = baseline.city_expectation(np.array([city_counts(areas, cells[c], len(cal.days)) for c in codes]), cal)
    # each subclass on its own: on the cores there are (numpy leaves the GIL)
    with ThreadPoolExecutor(cores.count()) as pool:
        models = pool.map(lambda i: baseline.fit(areas, blocks, cells[codes[i]], city[i], prior, exposure, back[i]),
                          range(len(codes)))
        return dict(zip(codes, models))


def neighbourhoods(areas: series.Areas, k: int) -> sparse.csr_matrix:
    """(片区 × grids): each grid with its k nearest grids, one row per distinct set."""
    G = areas.n_grids
    k = min(k + 1, G)
    _, nearest = cKDTree(areas.xy).query(areas.xy, k=k)
    nearest = np.sort(nearest.reshape(G, k), axis=1)
    distinct = np.unique(nearest, axis=0)
    n = len(distinct)
    return sparse.csr_matrix((np.ones(n * k, np.float32), (np.repeat(np.arange(n), k), distinct.ravel())),
                             shape=(n, G))


def make_rows(areas: series.Areas, k: int) -> Rows:
    base = areas.members
    nbhd = neighbourhoods(areas, k) if k > 0 and areas.n_grids > k else sparse.csr_matrix((0, areas.n_grids))
    grids = sparse.vstack([base, nbhd]).tocsr()
    grids.sort_indices()
    levels = np.r_[areas.levels, np.full(nbhd.shape[0], NBHD)]
    codes = np.r_[areas.codes, [f"{areas.codes[i]}+{k}" for i in nbhd.indices[nbhd.indptr[:-1]]]]
    names = np.r_[areas.names, [f"{areas.names[i]}片区" for i in nbhd.indices[nbhd.indptr[:-1]]]]
    order = np.argsort([LEVELS.index(lv) for lv in levels], kind="stable")   # finest first
    seen, skip = set(), np.zeros(len(levels), bool)
    for i in order:
        key = grids.indices[grids.indptr[i]:grids.indptr[i + 1]].tobytes()
        skip[i] = key in seen
        seen.add(key)
    return Rows(codes.astype(object), names.astype(object), levels.astype(object), grids, len(areas.codes), skip)


def make_tiers(categories: pd.DataFrame, codes: list[str]) -> list[Tier]:
    """Subclasses, then each class of several subclasses right after its last subclass, then all
    reports and the patrol reports: the order `panel.tier_arrays` produces them in."""
    cats = categories.reindex(codes)
    out = []
    for cls, group in cats.groupby("class_code", sort=True):
        members = tuple(group.index)
        out += [Tier(c, "subclass", (c,), str(group.loc[c, "subclass_name"])) for c in members]
        if len(members) > 1:
            out.append(Tier(str(cls), "class", members, f"{group['class_name'].iloc[0]}（全类）"))
    listed = {m for t in out for m in t.members}
    out += [Tier(c, "subclass", (c,), c) for c in codes if c not in listed]      # not in the taxonomy
    return out + [Tier(ALL, "all", tuple(codes), "全部事件"),
                  Tier(MULTI, "multi", tuple(codes), "多个小类同时上升"),
                  Tier(PATROL, "patrol", (), "网格员巡查")]


def near_grids(areas: series.Areas, km: float) -> list[np.ndarray]:
    tree = cKDTree(areas.xy)
    return [np.asarray(sorted(n)) for n in tree.query_ball_point(areas.xy, km)]


def prepare(con, s: Settings, db: str = "wh") -> Prepared:
    first, last = series.day_span(con, db)
    cal = series.read_calendar(con, first, last, db, s.periods)
    areas = series.read_areas(con, cal.days, db)
    cells = series.counts(con, areas, cal, db)
    patrol = series.source_counts(con, areas, cal, s.patrol_source, db)
    blocks = baseline.Blocks(len(cal.days))
    categories = series.subclasses(con, db).set_index("subclass_code")
    models = fit_models(areas, cal, blocks, {**cells, PATROL: patrol})
    return Prepared(cal, areas, blocks, categories, cells, models, patrol, models.pop(PATROL),
                    make_rows(areas, s.neighbours), make_tiers(categories, sorted(cells)),
                    near_grids(areas, s.link_km))
