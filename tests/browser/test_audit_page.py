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
    page.wait_for_selector("#audit-table td[data-dash-column='action']")
    actions = set(page.locator("#audit-table td[data-dash-column='action']").all_inner_texts())
    assert {"登录成功", "访问页面"} <= actions
    assert "T-ADMIN" in page.locator("#audit-table td[data-dash-column='account']").all_inner_texts()
    assert "保存 180 天" in page.inner_text("#audit-note")
    screenshot(page, "audit")
    page.log.assert_clean()
