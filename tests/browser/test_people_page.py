"""实有人口 in headless Chromium, as a grid worker: the masked list of their grid (count equal to
SQL, no personal data in any response), then one resident opened in full with a reason."""
import duckdb
import pytest

from tests.browser.helpers import screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page", ["T-GRID"], indirect=True)
def test_people_page_masked_then_one_in_full(page, cockpit_url, tiny_db, role_accounts):
    grid = role_accounts["T-GRID"][1]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        total = con.execute("SELECT count(*) FROM core.persons WHERE starts_with(grid_code, ?)", [grid]).fetchall()[0][0]
    page.goto(cockpit_url + "people")
    page.wait_for_function("((document.querySelector('#people-count') || {}).innerText || '').includes('共')")
    assert f"共 {total:,} 人" in page.inner_text("#people-count")
    page.wait_for_selector("#people-table td[data-dash-column=id_number_masked]")
    masked_id = page.locator("#people-table td[data-dash-column=id_number_masked]").first.inner_text()
    masked_name = page.locator("#people-table td[data-dash-column=name_masked]").first.inner_text()
    assert "********" in masked_id and masked_name.endswith("*")
    screenshot(page, "people")
    page.log.assert_clean()          # the list is all masked: nothing personal has been sent yet

    page.locator("#people-table input[type=radio]").first.check()
    page.wait_for_function("((document.querySelector('#people-selected') || {}).innerText || '').includes('已选中')")
    page.click("#people-unmask")                                    # no reason: refused
    page.wait_for_selector(".people-refused")
    assert "请填写查看理由" in page.inner_text(".people-refused")
    page.fill("#people-reason", "入户走访核实联系方式")
    page.click("#people-unmask")
    page.wait_for_selector(".people-full dd")
    name, id_number, phone = page.locator(".people-full dd").all_inner_texts()
    assert len(id_number) == 18 and masked_id == id_number[:6] + "*" * 12       # the issuing area only
    assert name[0] == masked_name[0] and "*" not in name + id_number + phone
    assert page.input_value("#people-reason") == ""       # a reason serves one opening
    screenshot(page, "people-one-in-full")
