"""What the service tables aim at: the published figures, scaled by population (docs/calibration.md)."""
from __future__ import annotations

CITY_RESIDENTS = 3_620_000        # 吉林市, 2020 census (domain brief)
CHUANYING_RESIDENTS = 436_000     # 船营区 as generated at demo scale (seed 42: 435,607)

# Published figures (domain brief §1): city programme / city / 船营区 / 昌邑区.
PUBLISHED = {
    "questionnaires": 340_000, "needs_resolved": 81_000,                      # city programme
    "projects": 4_405, "activities": 26_000, "people_reached": 1_000_000,    # city programme
    "firms_rated": 228, "red_heart_compounds": 194, "red_heart_projects": 111,  # city
    "owners_committees": 1_475,                                               # city
    "volunteers": 3_021, "accounts_street_to_grid": 2_820,                   # 船营区
    "grid_workers": 1_270, "grids_changyi": 995,                             # 昌邑区
}
MIN_FIRMS = 20
COMPOUNDS_PER_FIRM = PUBLISHED["owners_committees"] / PUBLISHED["firms_rated"]   # 6.5, a loose proxy

TABLES = ("needs", "service_projects", "service_activities", "volunteer_teams", "volunteers",
          "surveys", "property_firms", "accounts")


def service_targets(residents: int) -> dict[str, int]:
    """The population-scaled targets the generator aims at (documented in docs/calibration.md)."""
    city = residents / CITY_RESIDENTS
    district = residents / CHUANYING_RESIDENTS
    projects = max(1, round(PUBLISHED["projects"] * city))
    return {
        "questionnaires": round(PUBLISHED["questionnaires"] * city),
        "needs_resolved": round(PUBLISHED["needs_resolved"] * city),
        "projects": projects,
        "activities": max(projects, round(PUBLISHED["activities"] * city)),
        "people_reached": round(PUBLISHED["people_reached"] * city),
        "volunteers": max(1, round(PUBLISHED["volunteers"] * district)),
        "firms": max(MIN_FIRMS, round(PUBLISHED["firms_rated"] * city)),
        "red_heart_projects": round(PUBLISHED["red_heart_projects"] * city),
        "red_heart_compounds": round(PUBLISHED["red_heart_compounds"] * city),
    }
