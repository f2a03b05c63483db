import re

import numpy as np
import pytest

from demo.identity import (
    id_check_char,
    is_valid_id,
    make_id_numbers,
    make_mobiles,
    make_names,
    unique_id_numbers,
)


@pytest.mark.parametrize("good", ["11010519491231002X", "440524188001010014"])
def test_known_good_id_numbers(good):
    assert id_check_char(good[:17]) == good[17]
    assert is_valid_id(good)


@pytest.mark.parametrize("bad", ["110105194912310021", "44052418800101001", "4405241880010100X4"])
def test_bad_id_numbers_are_rejected(bad):
    assert not is_valid_id(bad)


def test_generated_ids_agree_with_birth_sex_and_check():
    rng = np.random.default_rng(1)
    n = 2000
    region = np.where(rng.random(n) < 0.5, "220204", "220202")
    birth = np.datetime64("1930-01-01") + rng.integers(0, 90 * 365, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    ids = unique_id_numbers(region, birth, male, rng)
    assert len(set(ids)) == n
    for i in range(n):
        assert is_valid_id(ids[i]), ids[i]
        assert ids[i][:6] == region[i]
        assert ids[i][6:14] == str(birth[i]).replace("-", "")
        assert (int(ids[i][16]) % 2 == 1) == male[i]


def test_same_seed_same_ids():
    def draw():
        rng = np.random.default_rng(7)
        return make_id_numbers(np.array(["220204"] * 50),
                               np.array(["1980-05-06"] * 50, dtype="datetime64[D]"),
                               np.ones(50, bool), rng)
    assert (draw() == draw()).all()


def test_names_and_mobiles_look_right():
    rng = np.random.default_rng(3)
    names = make_names(rng.random(500) < 0.5, rng)
    assert all(2 <= len(x) <= 4 for x in names)
    assert len(set(names)) > 300
    assert all(re.fullmatch(r"1[3-9]\d{9}", m) for m in make_mobiles(500, rng))


def test_shards_never_draw_the_same_id_number():
    """Shards generate apart: natives share sequences only within their district's shards,
    others with every shard of the city, each in its own residue class."""
    from demo.identity import _first17, shard_slots
    n = 20_000
    region = np.array(["220204"] * n)
    birth = np.full(n, np.datetime64("1980-05-05"))
    male = np.arange(n) % 2 == 0
    native = np.arange(n) % 3 > 0
    seen = []
    for k in range(3):
        seen.append(set(_first17(region, birth, male, np.random.default_rng(1),
                                 shard_slots(native, (k, 3), (k + 5, 63)))))
    assert not (seen[0] & seen[1]) and not (seen[1] & seen[2]) and not (seen[0] & seen[2])
    seq = np.array(sorted(s % 1000 for s in seen[0]))
    assert seq.max() < 1000 and len(seen[0]) == 2 * (200 // 3 + 300 // 63)   # every slot drawn
