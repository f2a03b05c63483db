"""Where the project's committed reference data live."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
DISTRICTS_GEOJSON = REFERENCE / "jilin_city_districts.geojson"
EVENT_CATEGORIES_CSV = REFERENCE / "event_categories.csv"
WORK_CALENDAR = ROOT / "data" / "work_calendar.toml"
