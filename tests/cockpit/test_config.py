"""Settings from the environment: each COCKPIT_<NAME> reaches its setting, parsed by its type."""
from __future__ import annotations

import dataclasses

from hypothesis import given, strategies as st

from cockpit.config import _FROM_ENVIRONMENT, Settings


def test_every_variable_names_a_setting():
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert set(_FROM_ENVIRONMENT) <= fields


@given(st.integers(min_value=1, max_value=10**6))
def test_a_number_reaches_its_setting(n):
    for name, parse in _FROM_ENVIRONMENT.items():
        if parse is int and name != "briefing_weekday":
            value = max(n, 5) if name == "kiosk_seconds" else n
            assert getattr(Settings.from_env({f"COCKPIT_{name.upper()}": str(value)}), name) == value


def test_text_lists_and_flags():
    s = Settings.from_env({"COCKPIT_HOST": "0.0.0.0", "COCKPIT_SECURE_COOKIES": "Yes",
                           "COCKPIT_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.0/8",
                           "COCKPIT_ACCESS_LOG_MAX_MB": "2.5", "COCKPIT_URL_PREFIX": "cockpit/",
                           "COCKPIT_BRIEFING_AREAS": "220204 220204001"})
    assert (s.host, s.secure_cookies, s.trusted_proxies, s.access_log_max_mb, s.url_prefix, s.briefing_areas) \
        == ("0.0.0.0", True, ("10.0.0.1", "10.0.0.0/8"), 2.5, "/cockpit", ("220204", "220204001"))
    assert Settings.from_env({"COCKPIT_SECURE_COOKIES": "0"}).secure_cookies is False


def test_empty_leaves_the_default_but_an_empty_monitor_list_means_nobody():
    assert Settings.from_env({"COCKPIT_PORT": "", "COCKPIT_HOST": ""}).port == Settings().port
    assert Settings.from_env({}).monitor_from == Settings().monitor_from != ()
    assert Settings.from_env({"COCKPIT_MONITOR_FROM": ""}).monitor_from == ()


def test_an_option_overrides_the_environment():
    assert Settings.from_env({"COCKPIT_PORT": "9000"}, port=9100).port == 9100
    assert Settings.from_env({"COCKPIT_PORT": "9000"}, port=None).port == 9000
