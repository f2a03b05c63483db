"""Where the project's committed reference data live."""
from warehouse.paths import DATA

REFERENCE = DATA / "reference"
DISTRICTS_GEOJSON = REFERENCE / "jilin_city_districts.geojson"
EVENT_CATEGORIES_CSV = REFERENCE / "event_categories.csv"
