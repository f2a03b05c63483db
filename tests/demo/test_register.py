"""一标三实 and the versioned grid layer as generated: every person, household, house and
organisation hangs off a standard address, in the grid version that contains it."""
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from etl.load.values import is_valid_credit_code


def _csv(source, name):
    return pd.read_csv(source / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def files(tiny_source):
    names = ("addresses", "houses", "households", "persons", "organisations", "events", "accounts")
    return {n: _csv(tiny_source, f"{n}.csv") for n in names}


@pytest.fixture(scope="module")
def grids(tiny_source):
    g = gpd.read_file(tiny_source / "grids.geojson")
    g["valid_from"] = pd.to_datetime(g["valid_from"])
    g["valid_to"] = pd.to_datetime(g["valid_to"])
    return g


def test_everything_hangs_off_a_standard_address(files):
    a = files["addresses"].set_index("地址编码")
    hh, p, h, o = files["households"], files["persons"], files["houses"], files["organisations"]
    assert (a.loc[hh["地址编码"], "地址全称"].to_numpy() == hh["地址"].to_numpy()).all()
    assert (a.loc[hh["地址编码"], "网格编码"].to_numpy() == hh["网格编码"].to_numpy()).all()
    home = hh.set_index("户编号")
    assert (home.loc[p["户编号"], "地址编码"].to_numpy() == p["地址编码"].to_numpy()).all()
    assert (home.loc[p["户编号"], "网格编码"].to_numpy() == p["网格编码"].to_numpy()).all()
    assert sorted(h["地址编码"]) == sorted(a.index)                       # one house per address
    assert (a.loc[o["地址编码"], "地址类型"] == "单位").all()
    assert not set(hh["地址编码"]) & set(o["地址编码"])
    assert not a.reset_index().duplicated(["区县", "地址全称"]).any()      # as the contract says
    # household sizes agree with the persons living in them
    assert (p.groupby("户编号").size().reindex(hh["户编号"]).to_numpy()
            == hh["户内人数"].astype(int).to_numpy()).all()


def test_houses_occupancy_agrees_with_who_lives_there(files):
    h, hh, p = files["houses"], files["households"], files["persons"]
    lived_in = h["地址编码"].isin(hh["地址编码"])
    homes = h["房屋用途"] == "住宅"
    assert ((h["使用情况"] == "空置") == (homes & ~lived_in)).all()
    own = h[h["使用情况"] == "自住"]
    owner_home = p.set_index("人员编号").loc[own["产权人编号"], "地址编码"]
    assert (owner_home.to_numpy() == own["地址编码"].to_numpy()).all()
    share_vacant = (~lived_in[homes]).mean()
    assert 0.05 < share_vacant < 0.2


def test_tags_follow_age_and_household(files, tiny_source):
    p, hh = files["persons"], files["households"]
    end = pd.Timestamp(json.loads((tiny_source / "manifest.json").read_text())["end"])
    birth = pd.to_datetime(p["出生日期"])
    age = end.year - birth.dt.year - (birth.dt.month * 100 + birth.dt.day > end.month * 100 + end.day)
    tags = p["人员标签"].str.split("、")
    has = lambda t: tags.map(lambda ts: t in ts)                           # noqa: E731
    assert (has("未成年人") == (age < 18)).all()
    alone = p["户编号"].map(hh.set_index("户编号")["户内人数"]) == "1"
    assert (has("独居老人") == (alone & (age >= 60))).all()
    for tag, low, high in (("党员", 0.04, 0.12), ("残疾", 0.02, 0.09), ("低保", 0.01, 0.08),
                           ("退役军人", 0.01, 0.05)):
        assert low < has(tag).mean() < high, tag


def test_organisations(files, tiny_source):
    o = files["organisations"]
    assert o["统一社会信用代码"].map(is_valid_credit_code).all()
    assert o["统一社会信用代码"].is_unique
    firms = pd.read_excel(tiny_source / "property_firms.xlsx", dtype=str)
    listed = o[o["单位类型"] == "物业服务企业"]
    assert sorted(listed["统一社会信用代码"]) == sorted(firms["统一社会信用代码"])
    shares = o["单位类型"].value_counts(normalize=True)
    assert shares["个体工商户"] > shares["企业"] > shares["机关事业单位"]


def test_grid_layer_versions(grids, files):
    assert not grids.duplicated(["code", "valid_from"]).any()
    changed = grids[grids["valid_to"].notna()]
    assert len(changed) >= 4
    for code, versions in grids.groupby("code"):
        v = versions.sort_values("valid_from")
        assert (v["valid_to"].iloc[:-1].to_numpy() <= v["valid_from"].iloc[1:].to_numpy()).all(), code
    split = grids[~grids["code"].isin(changed["code"]) & (grids["valid_from"] > grids["valid_from"].min())]
    assert len(split) >= 2                                        # new codes from splits
    current = grids[grids["valid_to"].isna()]
    for community, g in grids.groupby("community_code"):
        old = g[g["valid_from"] == g["valid_from"].min()].union_all()
        new = current[current["community_code"] == community].union_all()
        assert abs(old.area - new.area) < 1e-9 * old.area + 1e-12, community
    # each current grid has its full-time grid worker's account
    acc = files["accounts"].set_index("账号编号")
    assert (acc.loc[current["worker_account"], "所属区域"].to_numpy() == current["code"].to_numpy()).all()
    assert (acc.loc[current["worker_account"], "角色"] == "专职网格员").all()


def test_everything_sits_in_the_grid_version_of_its_date(grids, files):
    """Addresses in today's version; events in the version valid on their report date."""
    current = grids[grids["valid_to"].isna()].set_index("code")
    a = files["addresses"]
    poly = current.geometry.loc[a["网格编码"]].to_numpy()
    inside = shapely.intersects_xy(poly, a["经度"].astype(float), a["纬度"].astype(float))
    assert inside.mean() > 0.999, inside.mean()
    e = files["events"]
    t = pd.to_datetime(e["上报时间"])
    key = grids.reset_index(drop=True)
    rows = key.reset_index().merge(pd.DataFrame({"code": e["网格编码"], "t": t, "i": np.arange(len(e))}),
                                   on="code")
    live = (rows["valid_from"] <= rows["t"].dt.normalize()) & \
        (rows["valid_to"].isna() | (rows["t"].dt.normalize() < rows["valid_to"]))
    rows = rows[live]
    assert rows["i"].is_unique and len(rows) == len(e)           # exactly one version per event
    geoms = key.geometry.to_numpy()[rows["index"].to_numpy()]
    ok = shapely.intersects_xy(geoms, e["经度"].astype(float).to_numpy()[rows["i"]],
                               e["纬度"].astype(float).to_numpy()[rows["i"]])
    assert ok.mean() > 0.999, ok.mean()
    moved = e["网格编码"].isin(grids.loc[grids["valid_from"] > grids["valid_from"].min(), "code"])
    assert moved.sum() > 0                                       # the changes did affect events
