"""The needs ledger and service tables: the contract, references between tables, valid personal
identifiers and credit codes, dates, calibration against the published figures, determinism."""
import csv
import datetime as dt

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from demo.credit_codes import make_credit_codes, org_check_char
from demo.geography import AreaLayers
from demo.identity import is_valid_id
from demo.scales import SCALES
from demo.services import TABLES, generate_services, service_specs, write_services
from demo.services.calibration import PUBLISHED, service_targets
from etl import contract
from etl.load.values import credit_check_char, is_valid_credit_code

SCALE = SCALES["tiny"]


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_layers(tiny_source):
    layers = AreaLayers(*(gpd.read_file(tiny_source / f"{level}.geojson")
                          for level in ("districts", "streets", "communities", "grids")))
    persons = pd.read_csv(tiny_source / "persons.csv", dtype=str, usecols=["网格编码"])
    per_grid = layers.grids["code"].map(persons["网格编码"].value_counts()).fillna(0).to_numpy(int)
    return layers, per_grid


@pytest.fixture(scope="module")
def tables(tiny_layers):
    layers, per_grid = tiny_layers
    return generate_services(layers, per_grid, SCALE, np.random.default_rng(42))


@pytest.fixture(scope="module")
def frames(tables):
    return {name: t.to_pandas() for name, t in tables.items()}


@pytest.fixture(scope="module")
def written(tables, tmp_path_factory):
    out = tmp_path_factory.mktemp("services")
    return out, write_services(tables, out)


def demo_sized_layers(residents: int = 436_000, seed: int = 1):
    """Layers shaped like the demo's 船营区 without geometry: 10 街道 + 5 镇, 70 社区 + 50 村,
    950 grids (11 or 10 per 社区, 4 per 村)."""
    rng = np.random.default_rng(seed)
    d = "220204"
    streets = pd.DataFrame({"code": [f"{d}{i:03d}" for i in list(range(1, 11)) + list(range(100, 105))],
                            "name": [f"第{i}街道" for i in range(10)] + [f"第{i}镇" for i in range(5)],
                            "kind": ["街道"] * 10 + ["镇"] * 5, "district_code": d,
                            "urban": [True] * 10 + [False] * 5})
    comm = []
    for i in range(65):                                   # 社区 in the 街道
        comm.append((f"{streets.code[i % 10]}{i // 10 + 1:03d}", "社区", streets.code[i % 10]))
    for t in range(5):                                    # a 社区 at each town seat, 10 村 each
        s = streets.code[10 + t]
        comm.append((f"{s}001", "社区", s))
        comm += [(f"{s}{200 + v:03d}", "村", s) for v in range(10)]
    communities = pd.DataFrame(comm, columns=["code", "kind", "street_code"])
    communities["name"] = [f"测试{i}{k}" for i, k in enumerate(communities["kind"])]
    communities["district_code"] = d
    communities["urban"] = communities["kind"] == "社区"
    urban = communities["urban"].to_numpy()
    n_grids = np.where(urban, 10, 4)
    n_grids[np.flatnonzero(urban)[:50]] = 11
    assert n_grids.sum() == 950
    cc = np.repeat(communities["code"].to_numpy(), n_grids)
    seq = np.concatenate([np.arange(1, k + 1) for k in n_grids])
    grids = pd.DataFrame({"code": [f"{c}{s:03d}" for c, s in zip(cc, seq)], "community_code": cc,
                          "urban": np.repeat(urban, n_grids)})
    grids["name"] = grids["code"]
    grids["street_code"] = grids["code"].str[:9]
    grids["district_code"] = d
    w = rng.lognormal(np.log(np.where(grids["urban"], 500, 250)), 0.35)
    per_grid = rng.multinomial(residents, w / w.sum())
    districts = pd.DataFrame({"code": [d], "name": ["船营区"]})
    return AreaLayers(districts, streets, communities, grids), per_grid


# --- the check characters -------------------------------------------------------------------

def test_credit_code_check_character():
    for good in ("91350100M000100Y43", "91110000600001760P", "91440300708461136T"):
        assert is_valid_credit_code(good)
        assert credit_check_char(good[:17]) == good[17]
    assert not is_valid_credit_code("91350100M000100Y44")    # wrong check character
    assert not is_valid_credit_code("91350100M000100Y4")     # too short
    assert not is_valid_credit_code("9135010OM000100Y43")    # O is not in the character set
    assert not is_valid_credit_code(91350100)
    with pytest.raises(ValueError):
        credit_check_char("12345")
    # the organisation code inside (characters 9–17) has its own GB 11714 check character
    assert org_check_char("60000176") == "0"
    assert org_check_char("70846113") == "6"
    assert org_check_char("M000100Y") == "4"


def test_generated_credit_codes_are_valid_and_unique():
    rng = np.random.default_rng(3)
    codes = make_credit_codes(np.array(["220204"] * 300), rng)
    assert all(is_valid_credit_code(c) for c in codes)
    assert all(org_check_char(c[8:16]) == c[16] for c in codes)
    assert len(set(codes)) == 300
    assert all(c.startswith("91220204") for c in codes)


# --- the contract ---------------------------------------------------------------------------

def test_contract_entries():
    specs = service_specs()
    assert tuple(specs) == TABLES
    con = duckdb.connect()
    for name, spec in specs.items():
        assert spec.loaded, name
        assert 10 <= spec.load_order <= 19
        assert spec.file.endswith("." + spec.format)
        assert spec.key == spec.columns[0].name
        for c in spec.columns:
            assert con.execute(f"SELECT TRY_CAST(? AS {c.type}) IS NOT NULL", [c.example]).fetchone()[0], c
    assert specs["property_firms"].format == "xlsx"
    assert {s.table for s in contract.CSV_SOURCES} >= set(TABLES)       # the refresh reads them all
    personal = {n: {c.name for c in s.columns if c.personal} for n, s in specs.items()}
    assert personal["volunteers"] == {"name", "id_number", "phone"}
    assert personal["accounts"] == {"holder_name", "phone"}
    assert not any(personal[n] for n in TABLES if n not in ("volunteers", "accounts"))


def test_tables_have_the_contract_columns(tables):
    specs = service_specs()
    assert tuple(tables) == TABLES
    for name, table in tables.items():
        assert table.column_names == [c.name for c in specs[name].columns], name
        for c in specs[name].columns:
            if c.required:
                assert table.column(c.name).null_count == 0, (name, c.name)


def test_written_files_follow_the_contract(written, tables):
    out, counts = written
    con = duckdb.connect()
    for name, spec in service_specs().items():
        path = out / spec.file
        assert counts[spec.file] == tables[name].num_rows
        if spec.format == "xlsx":
            from openpyxl import load_workbook
            ws = load_workbook(path, read_only=True).active
            rows = list(ws.iter_rows(values_only=True))
            assert list(rows[0]) == [c.header for c in spec.columns]
            assert len(rows) - 1 == tables[name].num_rows
            col = {c.name: i for i, c in enumerate(spec.columns)}
            assert all(isinstance(r[col["credit_code"]], str) for r in rows[1:])
            assert all(isinstance(r[col["rating_date"]], dt.datetime) for r in rows[1:])
            continue
        with open(path, encoding="utf-8", newline="") as f:
            assert next(csv.reader(f)) == [c.header for c in spec.columns], spec.file
        # per column: rows missing a mandatory value or not parsing as the column's type
        bad = ", ".join(
            f"count(*) FILTER ((\"{c.header}\" IS NULL AND {str(c.required).lower()}) OR "
            f"(\"{c.header}\" IS NOT NULL AND TRY_CAST(\"{c.header}\" AS {c.type}) IS NULL))"
            for c in spec.columns)
        row = con.execute(f"SELECT count(*), {bad} FROM read_csv(?, all_varchar = true)",
                          [str(path)]).fetchone()
        assert row[0] == tables[name].num_rows, spec.file
        assert dict(zip([c.header for c in spec.columns], row[1:])) == \
            {c.header: 0 for c in spec.columns}, spec.file


# --- references and consistency -------------------------------------------------------------

def test_keys_are_unique(frames):
    specs = service_specs()
    for name, df in frames.items():
        assert df[specs[name].key].is_unique, name


def test_foreign_keys_hold(frames, tiny_layers):
    layers, _ = tiny_layers
    communities = set(layers.communities["code"])
    grids = dict(zip(layers.grids["code"], layers.grids["community_code"]))
    for name in ("needs", "service_projects", "service_activities", "volunteer_teams", "volunteers",
                 "surveys"):
        assert set(frames[name]["community_code"]) <= communities, name
    n = frames["needs"]
    assert n["grid_code"].map(grids).eq(n["community_code"]).all()
    p = frames["service_projects"].set_index("project_id")
    a = frames["service_activities"]
    assert a["project_id"].isin(p.index).all()
    assert (a["community_code"] == p.loc[a["project_id"], "community_code"].to_numpy()).all()
    teams = frames["volunteer_teams"].set_index("team_id")
    v = frames["volunteers"]
    assert v["team_id"].isin(teams.index).all()
    assert (v["community_code"] == teams.loc[v["team_id"], "community_code"].to_numpy()).all()
    with_team = a[a["team_id"].notna()]
    assert len(with_team) > 0
    assert (teams.loc[with_team["team_id"], "community_code"].to_numpy()
            == with_team["community_code"]).all()
    # a team's member count and hours are its volunteers'
    assert (v.groupby("team_id").size().reindex(teams.index) == teams["members"]).all()
    hours = v.groupby("team_id")["service_hours"].sum().reindex(teams.index)
    assert np.allclose(hours, teams["service_hours"], atol=0.06)
    assert not frames["volunteer_teams"].duplicated(["community_code", "team_type"]).any()


def test_accounts_sit_in_the_layers(frames, tiny_layers):
    layers, _ = tiny_layers
    ac = frames["accounts"]
    areas = {"区": set(layers.districts["code"]), "街道": set(layers.streets["code"]),
             "社区": set(layers.communities["code"]), "网格": set(layers.grids["code"])}
    for level, codes in areas.items():
        sel = ac[ac["level"] == level]["area_code"]
        assert len(sel) and set(sel) <= codes, level
    assert set(layers.grids["code"]) <= set(ac[ac["role"] == "专职网格员"]["area_code"])
    dept = ac[ac["level"] == "部门"]["area_code"]
    assert len(dept) and not dept.str.fullmatch(r"\d+").any()
    assert set(ac["status"]) <= {"正常", "停用", "锁定"}


def test_personal_identifiers_are_valid(frames):
    v = frames["volunteers"]
    assert v["id_number"].map(is_valid_id).all()
    assert v["id_number"].is_unique
    birth = pd.to_datetime(v["id_number"].str[6:14], format="%Y%m%d")
    age = (pd.Timestamp(SCALE.end) - birth).dt.days / 365.25
    assert age.between(18, 81).all()
    for df, name, phone in ((v, "name", "phone"), (frames["accounts"], "holder_name", "phone")):
        assert df[phone].str.fullmatch(r"1[3-9]\d{9}").all()
        assert df[name].str.fullmatch(r"[\u4e00-\u9fff]{2,4}").all()


def test_property_firms(frames):
    f = frames["property_firms"]
    assert len(f) >= 20
    assert f["credit_code"].map(is_valid_credit_code).all()
    assert f["credit_code"].is_unique and f["name"].is_unique
    assert (f["credit_code"].str[2:8] == f["registered_region"]).all()
    assert f["name"].str.fullmatch(r"吉林市.+物业(服务|管理)有限公司").all()
    assert f["credit_score"].between(0, 100).all()
    expected = np.select([f["credit_score"] >= 90, f["credit_score"] < 60], ["红榜", "黑榜"], "无")
    assert (f["red_black_list"] == expected).all()
    assert (f["red_heart_compounds"] >= f["red_heart_projects"]).all()
    assert (f["compounds"] >= f["red_heart_compounds"]).all()


def test_dates_are_in_range_and_ordered(frames):
    lo, hi = SCALE.start, SCALE.end
    date_cols = {"needs": ["reported_date", "resolved_date"], "service_projects": ["start_date", "end_date"],
                 "service_activities": ["activity_date"], "volunteer_teams": ["founded_date"],
                 "volunteers": ["registered_date"], "surveys": ["survey_date"],
                 "property_firms": ["rating_date"], "accounts": ["created_date"]}
    for name, cols in date_cols.items():
        for col in cols:
            s = frames[name][col].dropna()
            assert len(s) and s.min() >= lo and s.max() <= hi, (name, col)
    n = frames["needs"]
    closed = n["status"].isin(["已解决", "无法解决"])
    assert (n["resolved_date"].notna() == closed).all()
    assert (n.loc[closed, "resolved_date"] >= n.loc[closed, "reported_date"]).all()
    assert n.loc[~closed, "satisfaction"].isna().all()
    assert set(n["satisfaction"].dropna()) <= {"满意", "基本满意", "不满意"}
    assert n["time_limit_days"].ge(1).all()
    assert n["need_id"].str[2:10].eq(n["reported_date"].map(lambda d: d.strftime("%Y%m%d"))).all()
    p = frames["service_projects"].set_index("project_id")
    assert (p["end_date"] >= p["start_date"]).all()
    a = frames["service_activities"]
    assert (a["activity_date"] >= p.loc[a["project_id"], "start_date"].to_numpy()).all()
    assert (a["activity_date"] <= p.loc[a["project_id"], "end_date"].to_numpy()).all()
    teams = frames["volunteer_teams"].set_index("team_id")
    v = frames["volunteers"]
    assert (v["registered_date"] >= teams.loc[v["team_id"], "founded_date"].to_numpy()).all()
    s = frames["surveys"]
    assert s["satisfied_share"].between(0, 1).all()
    assert np.allclose(s["satisfied_share"] * s["respondents"],
                       (s["satisfied_share"] * s["respondents"]).round(), atol=0.01)
    heating = s.loc[s["topic"] == "供暖服务满意度", "survey_date"].map(lambda d: d.month)
    assert heating.isin([11, 12, 1, 2, 3]).all()


# --- calibration ----------------------------------------------------------------------------

def _check_calibration(frames, residents: int, tol: float):
    t = service_targets(residents)
    assert len(frames["service_projects"]) == t["projects"]
    assert len(frames["service_activities"]) == t["activities"]
    assert len(frames["volunteers"]) == t["volunteers"]
    assert len(frames["property_firms"]) == t["firms"]
    f = frames["property_firms"]
    assert f["red_heart_projects"].sum() == t["red_heart_projects"]
    assert f["red_heart_compounds"].sum() == t["red_heart_compounds"]
    resolved = (frames["needs"]["status"] == "已解决").sum()
    assert resolved == pytest.approx(t["needs_resolved"], rel=tol)
    assert frames["surveys"]["respondents"].sum() == pytest.approx(t["questionnaires"], rel=tol)
    assert frames["service_activities"]["participants"].sum() == pytest.approx(t["people_reached"], rel=tol)


def test_tiny_counts_scale_with_population(frames, tiny_layers):
    _, per_grid = tiny_layers
    residents = int(per_grid.sum())
    t = service_targets(residents)
    assert t["projects"] == round(4_405 * residents / 3_620_000)
    assert t["volunteers"] == round(3_021 * residents / 436_000)
    assert t["firms"] == 20                      # the floor: a tiny area still gets a red/black list
    _check_calibration(frames, residents, tol=0.10)


def test_demo_sized_counts_match_the_published_figures():
    layers, per_grid = demo_sized_layers()
    tables = generate_services(layers, per_grid, SCALES["demo"], np.random.default_rng(42))
    frames = {k: v.to_pandas() for k, v in tables.items()}
    _check_calibration(frames, int(per_grid.sum()), tol=0.03)
    # 船营区's own figures come out as published
    assert len(frames["volunteers"]) == PUBLISHED["volunteers"]
    ac = frames["accounts"]
    street_to_grid = ac["level"].isin(["街道", "社区", "网格"]).sum()
    assert street_to_grid == pytest.approx(PUBLISHED["accounts_street_to_grid"], rel=0.03)
    per_grid_workers = (ac["level"] == "网格").sum() / len(layers.grids)
    assert per_grid_workers == pytest.approx(1_270 / 995, abs=0.05)
    assert len(frames["property_firms"]) == round(228 * 436_000 / 3_620_000)
    # city-programme figures scaled by 436,000 / 3,620,000
    assert len(frames["service_projects"]) == round(4_405 * 436_000 / 3_620_000)


# --- determinism ----------------------------------------------------------------------------

def test_same_seed_same_tables(tables, tiny_layers):
    layers, per_grid = tiny_layers
    again = generate_services(layers, per_grid, SCALE, np.random.default_rng(42))
    other = generate_services(layers, per_grid, SCALE, np.random.default_rng(7))
    for name in TABLES:
        assert again[name].equals(tables[name]), name
    assert not other["volunteers"].equals(tables["volunteers"])
    assert not other["needs"].equals(tables["needs"])
