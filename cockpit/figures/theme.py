"""The command-centre look: dark background, cyan accents, CJK fonts that are on the machine."""

FONT_FAMILY = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
BACKGROUND = "rgba(0,0,0,0)"
TEXT = "#cfe8ff"
ACCENT = "#29d3ff"
# dark blue → cyan → amber → red: low values recede, hot spots stand out on a dark screen
HEAT_SCALE = [[0.0, "#0b3d6b"], [0.35, "#1f8fbf"], [0.6, "#45d1c5"], [0.8, "#f5c542"],
              [1.0, "#ff4d4f"]]
