"""The sealed copy of personal data: one sealed record per loaded row of every personal source, the
clear values back only with the vault key and only for the record they were sealed for."""
import csv

import duckdb
import pytest

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
