"""Issue 4 journey in a real browser: a department manager opens a customer, reads why it is
grade B, overrides to A with a reason and sees the quota warning."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from guanxi.accounts.roles import ensure_system_roles
from guanxi.customers import services as customer_services
from guanxi.grading import engine
from guanxi.grading import services as grading_services
from guanxi.grading.models import BusinessFigure, CustomerGrade, GradingProfile
from guanxi.policy import services as policy_services
from guanxi.policy.schema import default_policy
from tests.browser.conftest import PASSWORD
from tests.support import org


def _policy_with_a_quota(monkeypatch):
    """The shipped policy with class A of the ABCD scheme limited to 50 % of a department."""
    data = default_policy().model_dump(mode="json")
    abcd = next(s for s in data["grading"]["schemes"] if s["code"] == "abcd")
    abcd["levels"][0]["quota_percent"] = 50
    pol = policy_services.validate(data).with_version(9)
    monkeypatch.setattr(policy_services, "current", lambda: pol)


def test_manager_reads_why_b_overrides_to_a_and_sees_the_quota_warning(page, url, transactional_db, monkeypatch):
    _policy_with_a_quota(monkeypatch)
    ensure_system_roles()
    from guanxi.accounts.roles import grant_new_permissions

    grant_new_permissions("customers")
    grant_new_permissions("grading")
    hq = org.make_unit("华新集团", kind="company")
    dept = org.make_unit("华东销售部", hq)
    manager = org.make_user("department_manager", dept, full_name="王经理", password=PASSWORD, language="en")
    year = engine.reference_year()
    customers = []
    for i in range(10):
        c = customer_services.create_customer(
            actor=None, data={"name": f"华东客户{i}有限公司", "unit": dept, "owner": manager}, check_duplicates=False
        )
        customers.append(c)
    target = customers[0]
    BusinessFigure.objects.create(customer=target, year=year, sales=Decimal("800000"))
    GradingProfile.objects.create(customer=target, credit_rating="A", financial_state="good")
    engine.run(year=year)
    for c in customers[1:5]:  # four of ten are class A already: the fifth fills the 50 % quota
        grading_services.set_grade(c, "A", actor=manager, reason="existing classification", source="override")

    page.goto(url("accounts:login"))
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(url("dashboard"))

    page.goto(url("customers:detail", target.pk))
    # Why B: the explanation shows the proposal and each criterion with the customer's value.
    expect(page.locator("#proposed-grade")).to_have_text("Class B")
    table = page.locator("#grade-explanation")
    expect(table).to_contain_text("Sales in the last 3 years")
    expect(table).to_contain_text("¥800,000.00")
    expect(table.locator("tr.table-success").first).to_contain_text("Class B")
    expect(page.locator("#grade-panel")).to_contain_text("grading.schemes.abcd")
    expect(page.locator("#grade-quotas")).to_contain_text("Class A: 4 of 10 customers (40%), limit 50%")

    # Override to A with a reason.
    page.select_option("#override-level", "A")
    page.fill("#override-reason", "Strategic account: new plant contract signed")
    page.locator("#grade-override-form button[type=submit]").click()

    expect(page.locator("#confirmed-grade")).to_have_text("Class A")
    expect(page.locator("body")).to_contain_text("Quota full: Class A: 5 of 10 customers (50%), limit 50%.")
    expect(page.locator("#grade-history")).to_contain_text("Strategic account")
    grade = CustomerGrade.objects.get(customer=target)
    assert grade.level == "A" and grade.reason.startswith("Strategic") and grade.policy_version == 9

    # A sixth class A customer would break the quota: refused with the counts.
    page.goto(url("customers:detail", customers[5].pk))
    page.select_option("#override-level", "A")
    page.fill("#override-reason", "Also important")
    page.locator("#grade-override-form button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Class A: 6 of 10 customers (60%), limit 50%")
    assert CustomerGrade.objects.get(customer=customers[5]).level == ""
