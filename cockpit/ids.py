"""Component ids of the frame and the big screen, declared once. Each view declares its own ids at
the top of its page module."""

# the frame around every page
FRAME = "frame"
URL = "frame-url"
FRAME_TICK = "frame-tick"               # asks the server, now and then, which generation it serves
GENERATION = "frame-generation"          # the generation this page shows; pages redraw when it changes
AS_OF = "frame-as-of"
SCOPE_NAME = "frame-scope"
KIOSK = "frame-kiosk"                    # a wall screen's rotation (data-pages, data-seconds), read by cockpit.js

# the big screen (/)
SCREEN_SCOPE = "screen-scope"
SCREEN_AS_OF = "screen-as-of"
KPI_RESIDENTS = "kpi-residents"
KPI_HOUSEHOLDS = "kpi-households"
KPI_GRIDS = "kpi-grids"
KPI_EVENTS_30D = "kpi-events-30d"
KPI_CLOSURE_RATE = "kpi-closure-rate"
KPI_ON_TIME_RATE = "kpi-on-time-rate"
KPI_OPEN = "kpi-open"
KPI_OVERDUE = "kpi-overdue"
KPI_CLOSURE_DETAIL = "kpi-closure-detail"
KPI_GRIDS_DETAIL = "kpi-grids-detail"       # a grid's 重点关爱对象 by group
MAP_TITLE = "screen-map-title"
TODAY_LINE = "screen-today"
COMMUNITY_MAP = "community-map"
SOURCES_CHART = "screen-sources"
DAILY_CHART = "screen-daily"
TOP_CHART = "screen-top-subclasses"
OVERDUE_LIST = "screen-overdue"
BOARDS = "screen-boards"                 # its className names the board on show
BOARD_TICK = "screen-board-tick"         # rotates the boards in the browser
BOARD_ACTIVE = "screen-board-active"
BOARD_TABS = ["screen-tab-party", "screen-tab-safety", "screen-tab-livelihood", "screen-tab-business"]
BOARD_BODIES = ["screen-board-party", "screen-board-safety", "screen-board-livelihood",
                "screen-board-business"]
OVERVIEW_GENERATION = "overview-generation"   # which build the numbers come from
