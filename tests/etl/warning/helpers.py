"""Helpers shared by the early-warning tests (imported, never a test module)."""
from __future__ import annotations

import dataclasses

from etl.warning.settings import DEFAULT_FILE, Settings, load


def shipped_settings(**kw) -> Settings:
    """The settings shipped in etl/warning/settings.toml, with `kw` replaced."""
    return dataclasses.replace(load(DEFAULT_FILE), **kw)
