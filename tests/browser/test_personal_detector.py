"""The browser tests' personal-data detector (tests/browser/personal.py) on hand-made text: it
finds an ID number, a mobile number and a resident's name, and not a token that only holds
digits like them."""
from tests.browser.personal import PersonalData


def _detector(tmp_path):
    (tmp_path / "persons.csv").write_text("姓名\n张三丰\n", encoding="utf-8")
    (tmp_path / "accounts.csv").write_text("使用人\n李四光\n", encoding="utf-8")
    return PersonalData(tmp_path, public_text="")


def test_finds_numbers_and_names(tmp_path):
    found = _detector(tmp_path).found('{"a": "电话13812345678", "b": "220204198001011234", "c": "居民张三丰"}')
    assert sorted(found) == sorted(["13812345678", "220204198001011234", "张三丰"])


def test_a_request_token_is_not_a_phone(tmp_path):
    """Dash 4 writes a random end_id into every page; one held "…a19269514242e…" and failed CI."""
    token = '{"end_id": "QGF6lWXVBez~23436bb7ea19269514242e3d", "url": "/x?endId=ab13812345678cd"}'
    assert _detector(tmp_path).found(token) == []
