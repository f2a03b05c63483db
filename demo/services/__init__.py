"""The needs ledger and the services side of a governance centre: 需求清单 (needs), 服务项目 and
活动 (service projects and activities), 志愿服务队 and 志愿者 (volunteer teams and volunteers),
满意度调查 (satisfaction surveys), 物业企业 with their credit rating (红黑榜) and 平台账号
(platform accounts at district, street, community, grid and department level).

Calibration (published figures: ../shared/domain.md §1; the table is docs/calibration.md):
city-wide figures are scaled by population, residents / 3.62 million (Jilin City, 2020 census);
船营区 figures by residents / 436,000 (船营区 as the demo generates it: 435,607 with seed 42), so
the demo reproduces them. Platform accounts follow the organisation (per street, community and
grid), not the population. The published figures are treated as totals over the generated period.

Everything is drawn from the caller's numpy Generator in a fixed order: same seed, same tables.
Only codes, names, kinds and the urban flag of the layers are used, never their geometry."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from demo.services import accounts, firms, needs, projects, surveys, volunteers
from demo.services.context import Context
from demo.xlsx import write_xlsx
from etl import contract

TABLES = ("needs", "service_projects", "service_activities", "volunteer_teams", "volunteers",
          "surveys", "property_firms", "accounts")


def generate_services(layers, persons_per_grid: np.ndarray, scale, rng: np.random.Generator,
                      credit_code_slot: tuple[int, int] = (0, 1)) -> dict[str, pa.Table]:
    """The needs ledger and service tables for the given area layers and residents per grid
    (aligned with layers.grids), dates within [scale.start, scale.end]. Keys are contract tables.
    `credit_code_slot`: the property firms' share of credit codes (make_credit_codes)."""
    c = Context(layers, persons_per_grid, scale, rng)
    out = {"needs": needs.table(c)}
    team_comm, team_type, founded = volunteers.teams(c)
    out["volunteer_teams"], out["volunteers"] = volunteers.table(c, team_comm, team_type, founded)
    out["service_projects"], out["service_activities"] = projects.tables(c, team_comm)
    out["surveys"] = surveys.table(c)
    out["property_firms"] = firms.table(c, credit_code_slot)
    out["accounts"] = accounts.table(c)
    return {name: out[name] for name in TABLES}


def service_specs() -> dict[str, contract.SourceFile]:
    """The contract entries of the service tables (loaded or not)."""
    specs = {s.table: s for s in contract.load_contract(loaded_only=False)}
    return {name: specs[name] for name in TABLES}


def write_services(tables: dict[str, pa.Table], out_dir: Path) -> dict[str, int]:
    """Write each table under its contract file name with its contract headers; row counts."""
    from demo.run import write_csv  # here, not at the top: run may import this module

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = service_specs()
    counts = {}
    for name, table in tables.items():
        spec = specs[name]
        if spec.format == "xlsx":
            counts[spec.file] = write_xlsx(table, spec, out_dir / spec.file)
        else:
            counts[spec.file] = write_csv(table, spec, out_dir / spec.file)
    return counts
