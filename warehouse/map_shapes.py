"""The `map_shapes` table as its readers need it (the ETL writes it: etl/transform/map_shapes.py).

Each area is simplified in two variants: `detail` at its level's tolerance, for maps that zoom,
and `overview` at OVERVIEW_TOLERANCE, for a whole city or district on one screen that does not."""

VARIANTS = ("detail", "overview")
OVERVIEW_TOLERANCE = 0.0015      # degrees; a city or district on one screen: a pixel is 0.0005–0.002°
