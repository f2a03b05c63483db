import hashlib
import hmac

import duckdb

from etl.privacy import hmac_pads, load_or_create_key


def test_sql_keyed_hash_is_hmac_sha256(tmp_path):
    key = load_or_create_key(tmp_path / "k")
    assert load_or_create_key(tmp_path / "k") == key          # created once, then reused
    assert oct((tmp_path / "k").stat().st_mode & 0o777) == "0o600"
    con = duckdb.connect()
    for value in ["11010519491231002X", "440524188001010014", "张三"]:
        got = con.execute("SELECT sha256($opad || unhex(sha256($ipad || encode($v))))",
                          {**hmac_pads(key), "v": value}).fetchone()[0]
        assert got == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
