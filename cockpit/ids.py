"""Component ids, declared once."""

# the frame around every page
FRAME = "frame"
URL = "frame-url"
FRAME_TICK = "frame-tick"
AS_OF = "frame-as-of"
SCOPE_NAME = "frame-scope"

# overview (the first screen)
KPI_RESIDENTS = "kpi-residents"
KPI_HOUSEHOLDS = "kpi-households"
KPI_GRIDS = "kpi-grids"
KPI_EVENTS_30D = "kpi-events-30d"
KPI_CLOSURE_RATE = "kpi-closure-rate"
KPI_CLOSURE_DETAIL = "kpi-closure-detail"
COMMUNITY_MAP = "community-map"
OVERVIEW_GENERATION = "overview-generation"   # which build the numbers come from
