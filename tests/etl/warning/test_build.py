"""The build's reasons: no ratio against an expectation printed as zero."""
from __future__ import annotations


def test_a_reason_gives_no_ratio_against_an_expectation_it_prints_as_zero():
    from etl.warning.build import _ratio
    assert _ratio(13, 0.0009) == _ratio(2, 0) == "预期近零"          # was 14444.4 倍 on the screen
    assert _ratio(2, 0.05) == "40.0 倍" and _ratio(6, 2.0) == "3.0 倍"
