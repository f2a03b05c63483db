"""审计日志 in Chromium: the administrator sees sign-ins and page views, newest first."""
import pytest

from tests.browser.helpers import screenshot
from tests.cockpit_process import sign_in_with_form

pytestmark = pytest.mark.browser


def test_audit_page_lists_sign_ins_and_page_views(page, cockpit_url):
    """Signed in through the login form in the browser, straight to the page asked for."""
    page.context.clear_cookies()
    sign_in_with_form(page, cockpit_url, "T-ADMIN", next_path="audit")
    assert page.url == cockpit_url + "audit"
    page.wait_for_selector("#audit-table .ag-row [role=gridcell][col-id='action']")
    actions = set(page.locator("#audit-table .ag-row [col-id='action']").all_inner_texts())
    assert {"登录成功", "访问页面"} <= actions
    assert "T-ADMIN" in page.locator("#audit-table .ag-row [col-id='account']").all_inner_texts()
    assert page.locator("#audit-table .ag-header-cell-text").all_inner_texts()[:2] == ["时间（北京时间）", "账号"]
    assert "页 1 / 1" in page.inner_text("#audit-table .ag-paging-panel")     # the grid's own words in Chinese
    assert "保存 180 天" in page.inner_text("#audit-note")
    screenshot(page, "audit")
    page.log.assert_clean()
