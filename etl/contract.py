"""The data contract in code: each source file, its columns (the Chinese header a source system
exports, the canonical name, the type) and which are mandatory. docs/data-contract.md explains
the rules; the generator writes these headers and the refresh reads them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str          # canonical, English
    header: str        # as exported by the source system
    type: str          # DuckDB type after checking
    required: bool = True
    personal: bool = False   # personal data: never stored or shown in clear


@dataclass(frozen=True)
class SourceFile:
    table: str
    file: str
    columns: tuple[Column, ...]
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {c.header: c.name for c in self.columns}


C = Column
HOUSEHOLDS = SourceFile("households", "households.csv", (
    C("household_id", "户编号", "VARCHAR"),
    C("grid_code", "网格编码", "VARCHAR"),
    C("address", "地址", "VARCHAR"),
    C("lon", "经度", "DOUBLE"),
    C("lat", "纬度", "DOUBLE"),
    C("members", "户内人数", "INTEGER"),
    C("household_type", "户类型", "VARCHAR"),
), key="household_id")

PERSONS = SourceFile("persons", "persons.csv", (
    C("person_id", "人员编号", "VARCHAR"),
    C("name", "姓名", "VARCHAR", personal=True),
    C("id_number", "公民身份号码", "VARCHAR", personal=True),
    C("sex", "性别", "VARCHAR"),
    C("birth_date", "出生日期", "DATE"),
    C("phone", "联系电话", "VARCHAR", required=False, personal=True),
    C("household_id", "户编号", "VARCHAR"),
    C("relation", "与户主关系", "VARCHAR"),
    C("residence_type", "人口类型", "VARCHAR"),
    C("grid_code", "网格编码", "VARCHAR"),
), key="person_id")

EVENTS = SourceFile("events", "events.csv", (
    C("event_id", "事件编号", "VARCHAR"),
    C("source", "事件来源", "VARCHAR"),
    C("class_code", "大类代码", "VARCHAR"),
    C("class_name", "大类名称", "VARCHAR"),
    C("subclass_code", "小类代码", "VARCHAR"),
    C("subclass_name", "小类名称", "VARCHAR"),
    C("reported_at", "上报时间", "TIMESTAMP"),
    C("lon", "经度", "DOUBLE"),
    C("lat", "纬度", "DOUBLE"),
    C("grid_code", "网格编码", "VARCHAR"),
    C("address", "事件地址", "VARCHAR"),
    C("description", "事件描述", "VARCHAR", required=False),
    C("accepted_at", "立案时间", "TIMESTAMP", required=False),
    C("dispatched_at", "派遣时间", "TIMESTAMP", required=False),
    C("handled_at", "处置时间", "TIMESTAMP", required=False),
    C("verified_at", "核查时间", "TIMESTAMP", required=False),
    C("closed_at", "结案时间", "TIMESTAMP", required=False),
    C("department", "处置部门", "VARCHAR", required=False),
    C("deadline", "处置时限", "TIMESTAMP", required=False),
    C("rework_count", "返工次数", "INTEGER"),
    C("extension_count", "延期次数", "INTEGER"),
    C("satisfaction", "满意度", "VARCHAR", required=False),
    C("status", "事件状态", "VARCHAR"),
), key="event_id")

CSV_SOURCES = (HOUSEHOLDS, PERSONS, EVENTS)

# The area layers: one GeoJSON per level, properties in canonical names.
AREA_LAYERS = {"district": "districts.geojson", "street": "streets.geojson",
               "community": "communities.geojson", "grid": "grids.geojson"}

# Reference data shipped with the project.
CATEGORY_HEADERS = {"大类代码": "class_code", "大类名称": "class_name", "小类代码": "subclass_code",
                    "小类名称": "subclass_name", "处置时限": "limit_value", "时限单位": "limit_unit",
                    "责任部门": "department", "板块": "board"}
