"""实有人口 in headless Chromium, as a grid worker: the masked list of their grid (count equal to
SQL, no personal data in any response), then one resident opened in full with a reason."""
import duckdb
import pytest

from tests.browser.helpers import grid_column, screenshot, wait_grid_rows

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page", ["T-GRID"], indirect=True)
def test_people_page_masked_then_one_in_full(page, cockpit_url, tiny_db, role_accounts):
    grid = role_accounts["T-GRID"][1]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        total = con.execute("SELECT count(*) FROM core.persons WHERE starts_with(grid_code, ?)", [grid]).fetchall()[0][0]
    page.goto(cockpit_url + "people")
    page.wait_for_function("((document.querySelector('#people-count') || {}).innerText || '').includes('共')")
    assert f"共 {total:,} 人" in page.inner_text("#people-count")
    wait_grid_rows(page, "#people-table", min(total, 20))
    ids, names = grid_column(page, "#people-table", "id_number_masked"), grid_column(page, "#people-table", "name_masked")
    phones = grid_column(page, "#people-table", "phone_masked")
    assert all("********" in i and len(i) == 18 for i in ids) and all(n.endswith("*") for n in names)
    assert all(p == "" or "****" in p for p in phones)
    masked_id, masked_name = ids[0], names[0]
    assert page.inner_text("#people-pages") == f"第 1 / {-(-total // 20)} 页"
    screenshot(page, "people")
    page.log.assert_clean()          # the list is all masked: nothing personal has been sent yet

    page.click("#people-table .ag-row[row-index='0'] [col-id=address]")      # a click selects the row
    assert "ag-row-selected" in page.get_attribute("#people-table .ag-row[row-index='0']", "class")
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
