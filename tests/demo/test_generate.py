"""The generator: deterministic, consistent personal identifiers, files the contract describes."""
import json

import pandas as pd

from demo.identity import is_valid_id
from demo.run import generate
from tests.conftest import file_digests


def test_same_seed_same_files(tiny_source, tmp_path):
    generate("tiny", tmp_path, seed=42)
    assert file_digests(tmp_path) == file_digests(tiny_source)


def test_files_do_not_depend_on_the_number_of_workers(tiny_source, tmp_path):
    """tiny_source was made with one worker per core; shards are fixed by the layer, not by
    the pool, so a single process writes the same bytes."""
    manifest = generate("tiny", tmp_path, seed=42, workers=1)
    assert len(list(tmp_path.glob(".parts*"))) == 0
    assert manifest["shards"] > 1
    assert file_digests(tmp_path) == file_digests(tiny_source)


def test_events_multiplied_for_a_growth_curve(tiny_source, tmp_path):
    """--events-factor 2: twice the events over the same register and map (bench's city ×2, ×4)."""
    manifest = generate("tiny", tmp_path, seed=42, events_factor=2.0)
    base = json.loads((tiny_source / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["events_factor"] == 2.0 and base["events_factor"] == 1.0
    assert 1.8 <= manifest["rows"]["events.csv"] / base["rows"]["events.csv"] <= 2.2
    for same in ("persons.csv", "households.csv", "grids.geojson"):
        assert file_digests(tmp_path)[same] == file_digests(tiny_source)[same]


def test_other_seed_other_files(tiny_source, tmp_path):
    generate("tiny", tmp_path, seed=7)
    assert file_digests(tmp_path)["persons.csv"] != file_digests(tiny_source)["persons.csv"]


def test_persons_ids_agree_with_birth_date_and_sex(tiny_source):
    p = pd.read_csv(tiny_source / "persons.csv", dtype=str, keep_default_na=False)
    assert p["公民身份号码"].map(is_valid_id).all()
    assert (p["公民身份号码"].str[6:14] == p["出生日期"].str.replace("-", "")).all()
    odd = p["公民身份号码"].str[16].astype(int) % 2 == 1
    assert ((p["性别"] == "男") == odd).all()
    assert p["公民身份号码"].is_unique
    phones = p["联系电话"][p["联系电话"] != ""]
    assert phones.str.fullmatch(r"1[3-9]\d{9}").all()


def test_events_workflow_is_ordered_and_codes_nest(tiny_source):
    e = pd.read_csv(tiny_source / "events.csv", dtype=str, keep_default_na=False)
    stages = ["上报时间", "立案时间", "派遣时间", "处置时间", "核查时间", "结案时间"]
    ts = e[stages].apply(lambda s: pd.to_datetime(s.replace("", None)))
    for a, b in zip(stages, stages[1:]):
        both = ts[a].notna() & ts[b].notna()
        assert (ts.loc[both, b] >= ts.loc[both, a]).all(), (a, b)
    closed = ts["结案时间"].notna()
    assert ts.loc[closed, stages].notna().all().all()     # a closed case went through every stage
    grids = json.loads((tiny_source / "grids.geojson").read_text(encoding="utf-8"))
    codes = {f["properties"]["code"] for f in grids["features"]}
    assert set(e["网格编码"]) <= codes
    assert e["事件编号"].is_unique
