import hashlib
import hmac

import duckdb

from etl.privacy.pseudonymise import hmac_pads
from warehouse.keys import load_or_create_key


def test_sql_keyed_hash_is_hmac_sha256(tmp_path):
    key = load_or_create_key(tmp_path / "k")
    assert load_or_create_key(tmp_path / "k") == key          # created once, then reused
    assert oct((tmp_path / "k").stat().st_mode & 0o777) == "0o600"
    con = duckdb.connect()
    for value in ["11010519491231002X", "440524188001010014", "张三"]:
        got = con.execute("SELECT sha256($opad || unhex(sha256($ipad || encode($v))))",
                          {**hmac_pads(key), "v": value}).fetchone()[0]
        assert got == hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def test_a_malformed_line_is_shown_with_keys_and_without_personal_data():
    from etl import contract
    from etl.privacy.pseudonymise import shown_line
    from warehouse.personal import find
    spec = contract.PERSONS
    header = [c.header for c in spec.columns]
    values = ["P2202040010010010001", "欧阳修文", "11010519491231002X", "男", "1949-12-31", "139-1234-5678",
              "H2202040010010010001", "户主", "户籍人口", "220204001001001", "DZ22020400100100100001", ""]
    aligned = shown_line(spec, header, tuple(values), ",".join(values))
    assert aligned.startswith("P2202040010010010001,欧***,110105************,男,1949-12-31,")
    assert "220204001001001" in aligned and not find(aligned) and "修文" not in aligned
    short = values[:1] + values[2:]              # a field short: columns cannot be told
    shown = shown_line(spec, header, tuple(short), ",".join(short))
    assert shown.startswith("P2202040010010010001,110105************,男,") and not find(shown)
    events = shown_line(contract.EVENTS, [c.header for c in contract.EVENTS.columns], ("SJ1", "来电13912345678"),
                        "SJ220204001202610310123,来电人电话13912345678")
    assert events == "SJ220204001202610310123,来电人电话139****5678"
