"""Issue 2 journeys in a real browser: a sales rep's first visit, and a policy change from the
administrator's edit through the general manager's approval to the policy page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from guanxi.accounts.roles import ensure_system_roles
from guanxi.policy import services as policy_services
from tests.browser.conftest import PASSWORD
from tests.support import org


def _login(page, url, username):
    page.goto(url("accounts:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(url("dashboard"))


def _logout(page, url):
    page.locator("form[action$='/accounts/logout/'] [type=submit]").first.dispatch_event("click")
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_rep_sees_chinese_dashboard_switches_to_english_and_logs_out(page, url, transactional_db):
    ensure_system_roles()
    rep = org.make_user("sales_rep", full_name="李销售", password=PASSWORD)
    _login(page, url, rep.username)

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".page-title")).to_contain_text("李销售")
    expect(page.locator("nav, aside").first).to_contain_text("工作台")

    page.locator("form[action$='/language/'] button[value='en']").first.dispatch_event("click")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav, aside").first).to_contain_text("Dashboard")
    rep.refresh_from_db()
    assert rep.language == "en"

    _logout(page, url)
    page.goto(url("dashboard"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_policy_change_is_approved_by_general_manager_and_shown(page, browser, url, transactional_db):
    ensure_system_roles()
    policy_services.reset_cache()
    policy_services.ensure_default()
    hq = org.make_unit("集团总部", kind="company")
    admin = org.make_user("administrator", hq, full_name="系统管理员甲", password=PASSWORD)
    gm = org.make_user("general_manager", hq, full_name="总经理乙", password=PASSWORD)
    old = policy_services.current().pool.reclaim_after_days
    new = old - 15

    # The administrator edits one clause; the change waits for approval.
    _login(page, url, admin.username)
    page.goto(url("policy:edit") + "?section=pool")
    page.fill("input[name='pool__reclaim_after_days']", str(new))
    page.fill("textarea[name='comment']", "缩短回收期限")
    page.get_by_role("button", name=re.compile("提交|Propose")).click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("pool.reclaim_after_days")
    assert policy_services.current().pool.reclaim_after_days == old
    _logout(page, url)

    # The general manager finds it in the inbox and approves it.
    _login(page, url, gm.username)
    page.goto(url("approvals:inbox"))
    page.locator("a[href*='/approvals/']").filter(has_text=re.compile("制度|olicy")).first.click()
    page.get_by_role("button", name=re.compile("通过|Approve")).click()
    page.wait_for_load_state()

    page.goto(url("policy:detail"))
    row = page.locator("tr", has_text="pool.reclaim_after_days")
    expect(row).to_contain_text(str(new))
    policy_services.reset_cache()
    assert policy_services.current().pool.reclaim_after_days == new
    assert gm.pk != admin.pk
