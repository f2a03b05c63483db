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
    # accounts and the audit log live beside the warehouse, never inside a swapped generation
    accounts: Path = ROOT / "data" / "accounts.sqlite"
    audit: Path = ROOT / "data" / "audit.sqlite"
    audit_retention_days: int = 180
    # 研判 labels on early-warning incidents (确认 / 误报 / 已处置), beside accounts and the audit log
    labels: Path = ROOT / "data" / "warning_labels.sqlite"
    secret_key_file: Path = ROOT / "data" / "secrets" / "session.key"   # signs session cookies (0600)
    secure_cookies: bool = False     # set when served over HTTPS (a reverse proxy)
    session_hours: int = 8
    # opens the ETL's sealed copy of personal data for the audited "show in full" action; the ETL
    # creates it beside its pseudonymisation key (etl/vault.py)
    vault_key_file: Path = ROOT / "data" / "secrets" / "vault.key"
    unmask_per_hour: int = 20        # full records one account may open in an hour

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
        for name in ("accounts", "audit", "labels", "secret_key_file", "vault_key_file"):
            if env.get(f"COCKPIT_{name.upper()}"):
                s = replace(s, **{name: Path(env[f"COCKPIT_{name.upper()}"])})
        if env.get("COCKPIT_AUDIT_RETENTION_DAYS"):
            s = replace(s, audit_retention_days=int(env["COCKPIT_AUDIT_RETENTION_DAYS"]))
        if env.get("COCKPIT_SECURE_COOKIES"):
            s = replace(s, secure_cookies=env["COCKPIT_SECURE_COOKIES"].lower() in ("1", "true", "yes"))
        if env.get("COCKPIT_SESSION_HOURS"):
            s = replace(s, session_hours=int(env["COCKPIT_SESSION_HOURS"]))
        if env.get("COCKPIT_UNMASK_PER_HOUR"):
            s = replace(s, unmask_per_hour=int(env["COCKPIT_UNMASK_PER_HOUR"]))
        return replace(s, **{k: v for k, v in overrides.items() if v is not None})
