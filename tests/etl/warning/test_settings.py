"""The early-warning settings: what does not exist is refused."""
from __future__ import annotations

import pytest

from etl.warning.settings import DEFAULT_FILE, SettingsError, load


def test_settings_refuse_what_does_not_exist(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[[rule]]\nname = "x"\nmetric = "nonsense"\nlevel = "street"\nthreshold = 3\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="metric"):
        load(bad)
    bad.write_text('[excess.level_thresholds]\nplanet = 3.0\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="level_thresholds"):
        load(bad)
    bad.write_text('[[period]]\nname = "供暖期"\nstart = "25 Oct"\nend = "04-05"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="月-日"):
        load(bad)
    s = load(DEFAULT_FILE)
    assert s.periods and s.periods[0].start == (10, 25) and s.max_drop_items < s.max_items
