"""The sealed copy of personal data: one sealed record per loaded row of every personal source, the
clear values back only with the vault key and only for the record they were sealed for."""
import csv

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from etl.contract import load_contract
from tests.conftest import served_db
from warehouse import vault


@pytest.fixture(scope="module")
def sealed(tiny_warehouse):
    with duckdb.connect(str(served_db(tiny_warehouse)), read_only=True) as con:
        counts = dict(con.execute("SELECT source_table, count(*) FROM secure.vault_index GROUP BY 1").fetchall())
        tables = {t: con.execute(f"SELECT count(*) FROM core.{t}").fetchall()[0][0] for t in counts}
        persons = con.execute("SELECT i.record_id, i.bucket, v.sealed FROM secure.vault_index i JOIN secure.vault v "
                              "USING (source_table, bucket) WHERE source_table = 'persons' "
                              "ORDER BY hash(record_id) LIMIT 50").fetchall()
        unique = con.execute("SELECT count(*) = count(DISTINCT (source_table, record_id)) "
                             "FROM secure.vault_index").fetchall()[0][0]
    return counts, tables, persons, unique


def test_every_loaded_row_of_every_personal_source_is_sealed_once(sealed):
    counts, tables, _, unique = sealed
    personal = {s.table for s in load_contract() if any(c.personal for c in s.columns)}
    assert set(counts) == personal
    assert counts == tables            # quarantined rows are not sealed, loaded ones all are
    assert unique


def test_the_vault_key_opens_the_record_it_was_sealed_for(sealed, tiny_source, key_file):
    _, _, persons, _ = sealed
    key = vault.load(vault.vault_key_path(key_file))
    with open(tiny_source / "persons.csv", encoding="utf-8") as f:
        source = {r["人员编号"]: r for r in csv.DictReader(f)}
    for record_id, bucket, blob in persons:
        clear = vault.open_record(key, "persons", record_id, bucket, blob)
        row = source[record_id]
        assert (clear["name"], clear["id_number"], clear["phone"]) == \
            (row["姓名"], row["公民身份号码"].strip(), row["联系电话"])
        assert row["公民身份号码"].encode() not in bytes(blob)


def test_a_wrong_key_or_another_record_does_not_open(sealed, key_file, tmp_path):
    _, _, persons, _ = sealed
    (first, bucket, blob), (second, other_bucket, _) = [p for p in persons if p[1] != persons[0][1]
                                                         or p is persons[0]][:2]
    key = vault.load(vault.vault_key_path(key_file))
    assert vault.open_record(key, "persons", first, bucket, blob)
    with pytest.raises(vault.VaultError):
        vault.open_record(bytes(32), "persons", first, bucket, blob)
    with pytest.raises(vault.VaultError):            # a bucket passed off as another
        vault.open_record(key, "persons", first, other_bucket, blob)
    with pytest.raises(vault.VaultError):            # a record that is not in this bucket
        vault.open_record(key, "persons", second, bucket, blob)
    with pytest.raises(vault.VaultError):
        vault.load(tmp_path / "missing.key")


def _bookkeeping_tables():
    """A build connection with the vault's tables, as etl/load/bookkeeping.py makes them."""
    from etl.load import bookkeeping
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS wh")
    bookkeeping.create(con)
    return con


@settings(max_examples=30)
@given(st.lists(st.tuples(st.integers(1, 3000), st.one_of(st.none(), st.text(max_size=12)),
                          st.text(alphabet=st.sampled_from("0123456789Xx \x1e\x1f张"), max_size=20)),
                max_size=300, unique_by=lambda r: r[0]))
def test_every_sealed_record_opens_to_its_values(records):
    """Any values (empty, missing, other scripts, the separators themselves, which sealing
    drops), any source lines: each record opens from its bucket (warehouse/vault.py) to its own
    values, and no two buckets share a nonce."""
    from etl.privacy.vault import seal
    con = _bookkeeping_tables()
    con.execute("CREATE TABLE memory.clear (line BIGINT, record_id VARCHAR, name VARCHAR, id_number VARCHAR)")
    rows = [(line, f"P{line:05d}", name, number) for line, name, number in records]
    if rows:
        con.executemany("INSERT INTO memory.clear VALUES (?, ?, ?, ?)", rows)
    key = bytes(range(32))
    assert seal(con, key, "persons", ["name", "id_number"], "memory.clear") == len(rows)
    sealed = dict(con.execute("SELECT bucket, sealed FROM wh.secure.vault").fetchall())
    index = dict(con.execute("SELECT record_id, bucket FROM wh.secure.vault_index").fetchall())
    assert len(index) == len(rows)
    clean = lambda v: (v or "").replace("\x1e", "").replace("\x1f", "")  # noqa: E731
    for _, record_id, name, number in rows:
        opened = vault.open_record(key, "persons", record_id, index[record_id], sealed[index[record_id]])
        assert opened == {"name": clean(name), "id_number": clean(number)}
    nonces = [bytes(b[:vault.NONCE_BYTES]) for b in sealed.values()]
    assert len(set(nonces)) == len(nonces)
