"""Issue 3 journeys in a real browser: the duplicate warning while creating, an import with bad
rows fixed and committed, scope as "not found", and masked mobiles for service staff."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from guanxi.accounts.roles import ensure_system_roles
from guanxi.customers import services
from guanxi.customers.models import Customer, ImportJob
from tests.browser.conftest import PASSWORD
from tests.customers.imports.conftest import good_row, xlsx_bytes
from tests.support import org


def _login(page, url, user):
    page.goto(url("accounts:login"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(url("dashboard"))


def _company():
    ensure_system_roles()
    hq = org.make_unit("华新集团", kind="company")
    east = org.make_unit("华东销售部", hq)
    west = org.make_unit("华西销售部", hq)
    return hq, east, west


def test_rep_is_warned_of_a_duplicate_before_saving(page, url, transactional_db):
    _, east, _ = _company()
    rep = org.make_user("sales_rep", east, full_name="张销售", password=PASSWORD)
    other = org.make_user("sales_rep", east, full_name="李销售", password=PASSWORD)
    services.create_customer(actor=other, data={"name": "华新钢铁有限公司", "owner": other, "unit": east, "phone": "021-62345678"})

    _login(page, url, rep)
    page.goto(url("customers:create"))
    page.fill("#id_name", "华新钢铁有限责任公司")
    # The live check runs while typing, before anything is saved.
    expect(page.locator("#duplicate-box")).to_contain_text("华新钢铁有限公司", timeout=10_000)
    assert Customer.objects.count() == 1
    page.locator("form button[type=submit].btn-primary").last.click()
    expect(page.locator("#duplicate-hits")).to_be_visible()
    assert Customer.objects.count() == 1


def test_archivist_imports_with_two_bad_rows_fixes_and_commits(page, url, transactional_db, tmp_path):
    hq, _, _ = _company()
    archivist = org.make_user("archivist", hq, scope="all", full_name="赵文员", password=PASSWORD)
    rows = [good_row(1), good_row(2, 统一社会信用代码="91310000000000002X"), good_row(3), good_row(4, 手机="12345"), good_row(5)]
    bad = tmp_path / "客户.xlsx"
    bad.write_bytes(xlsx_bytes(rows))

    _login(page, url, archivist)
    page.goto(url("customers:import"))
    page.set_input_files("input[name=file]", str(bad))
    page.locator("form button[type=submit]").last.click()
    page.locator("#check-button").click()
    expect(page.locator('[data-error-row="3"]')).to_be_visible()
    expect(page.locator('[data-error-row="5"]')).to_be_visible()
    expect(page.locator("#commit-button")).to_be_disabled()
    with page.expect_download() as download:
        page.locator("#download-report").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Customer.objects.count() == 0

    rows[1], rows[3] = good_row(2), good_row(4)
    fixed = tmp_path / "客户-已修正.xlsx"
    fixed.write_bytes(xlsx_bytes(rows))
    page.goto(url("customers:import"))
    page.set_input_files("input[name=file]", str(fixed))
    page.locator("form button[type=submit]").last.click()
    page.locator("#check-button").click()
    page.locator("#commit-button").click()
    page.wait_for_load_state()
    assert ImportJob.objects.latest("pk").status == "done"
    assert Customer.objects.count() == 5


def test_rep_of_another_department_gets_not_found(page, url, transactional_db):
    _, east, west = _company()
    owner = org.make_user("sales_rep", east, password=PASSWORD)
    stranger = org.make_user("sales_rep", west, password=PASSWORD)
    customer = services.create_customer(actor=owner, data={"name": "东方重工股份有限公司", "owner": owner, "unit": east})

    _login(page, url, stranger)
    response = page.goto(url("customers:detail", customer.pk))
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("东方重工")


def test_service_staff_see_masked_mobiles(page, url, transactional_db):
    hq, east, _ = _company()
    rep = org.make_user("sales_rep", east, password=PASSWORD)
    staff = org.make_user("service_staff", hq, scope="all", full_name="客服小王", password=PASSWORD)
    customer = services.create_customer(
        actor=rep,
        data={"name": "南方物流有限公司", "owner": rep, "unit": east},
        contacts=[{"name": "陈经理", "mobile": "13812345678"}],
    )

    _login(page, url, staff)
    page.goto(url("customers:detail", customer.pk))
    expect(page.locator("body")).to_contain_text("陈经理")
    expect(page.locator("body")).to_contain_text(re.compile(r"138\*{4}5678"))
    expect(page.locator("body")).not_to_contain_text("13812345678")
