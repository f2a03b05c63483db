"""One settings object: defaults, then environment variables, then command-line options."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    # a warehouse directory (CURRENT names the served generation) or a single DuckDB file
    warehouse: Path = ROOT / "data" / "warehouse"
    host: str = "127.0.0.1"
    port: int = 8050
    threads: int = 8
    # cache keys name the generation, so an entry never goes stale; these only bound memory
    cache_seconds: int = 3600
    cache_entries: int = 2000
    refresh_seconds: int = 60        # how often open screens ask for new data

    @classmethod
    def from_env(cls, env=os.environ, **overrides) -> "Settings":
        s = cls()
        if env.get("COCKPIT_WAREHOUSE"):
            s = replace(s, warehouse=Path(env["COCKPIT_WAREHOUSE"]))
        if env.get("COCKPIT_PORT"):
            s = replace(s, port=int(env["COCKPIT_PORT"]))
        if env.get("COCKPIT_REFRESH_SECONDS"):
            s = replace(s, refresh_seconds=int(env["COCKPIT_REFRESH_SECONDS"]))
        if env.get("COCKPIT_HOST"):
            s = replace(s, host=env["COCKPIT_HOST"])
        return replace(s, **{k: v for k, v in overrides.items() if v is not None})
