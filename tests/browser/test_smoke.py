"""The login page renders in a real browser and a user signs in to the dashboard."""

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.support import org


def test_login_page_renders(page, url):
    page.goto(url("accounts:login"))
    expect(page.locator("input[name=username]")).to_be_visible()
    expect(page.locator("input[name=password]")).to_be_visible()
    expect(page.locator("form:has(input[name=password]) [type=submit]")).to_be_visible()


def test_wrong_password_stays_on_login(page, url, transactional_db):
    user = org.make_user("sales_rep", password=PASSWORD)
    page.goto(url("accounts:login"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "not the password")
    page.click("form:has(input[name=password]) [type=submit]")
    expect(page.locator("input[name=password]")).to_be_visible()
    assert page.url.startswith(url("accounts:login"))


def test_user_signs_in_and_sees_dashboard(page, url, signed_in):
    user = signed_in("sales_rep", scope="self", full_name="王小明")
    assert page.url == url("dashboard")
    expect(page.locator(".page-title")).to_contain_text("王小明")
    assert user.username not in page.url
