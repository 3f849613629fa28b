"""The customer page: all fields, contacts by department with masked personal fields, one
timeline, key-customer and blacklist banners; out of scope → 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers import services
from guanxi.customers.models import CustomerMember

pytestmark = pytest.mark.django_db

MOBILE = "13812345678"


@pytest.fixture
def customer(env):
    return services.create_customer(
        actor=env.rep,
        data={"name": "华新钢铁有限公司", "category": "supplier", "industry": "钢铁", "phone": "021-12345678", "is_key": True},
        departments=[{"name": "采购部", "business_info": "年采购额约两亿"}],
        contacts=[
            {"name": "刘采购", "title": "采购经理", "mobile": MOBILE, "department_name": "采购部", "is_primary": True},
            {"name": "陈财务", "title": "会计"},
        ],
        confirm_duplicates=True,
    )


def test_detail_shows_fields_contacts_timeline_and_masks_mobile(env, customer, login):
    response = login(env.service).get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "华新钢铁有限公司" in html
    assert "钢铁" in html and "021-12345678" in html
    # Contacts grouped by department, personal fields masked for a user without the right.
    assert html.index("采购部") < html.index("刘采购")
    assert "陈财务" in html and "No department" in html
    assert MOBILE not in html
    assert "138****5678" in html
    # One timeline with the creation and the contacts.
    timeline = html[html.index('id="timeline"') :]
    assert "timeline-event" in timeline
    assert "Customer created" in timeline or "Contact added" in timeline
    # Key customer with only its owner in contact → warning.
    assert 'id="key-warning"' in html
    assert "Edit" not in html[html.index("page-header") : html.index("page-body")]  # service staff may not change


def test_full_mobile_is_not_rendered_even_with_the_right(env, customer, login):
    html = login(env.manager).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert MOBILE not in html  # only the audited reveal shows it
    assert "138****5678" in html


def test_key_warning_disappears_with_a_second_staff_member(env, customer, login):
    CustomerMember.objects.create(customer=customer, user=env.manager)
    html = login(env.rep).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="key-warning"' not in html
    assert "王经理" in html[html.index('id="team"') :]


def test_blacklisted_banner(env, make_customer, login):
    c = make_customer("黑名单公司", status="blacklisted")
    html = login(env.rep).get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert 'id="blacklisted-banner"' in html


def test_out_of_scope_customer_is_not_found(env, customer, login):
    client = login(env.other_rep)
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:edit", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:detail", args=[999999])).status_code == 404


def test_team_membership_opens_and_closes_the_record_on_the_next_request(env, customer, login):
    """Memberships come with the user's principal: a change applies on the next request, and a
    page view does not query them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(env.other_rep)
    url = reverse("customers:detail", args=[customer.pk])
    assert client.get(url).status_code == 404
    services.add_member(customer, env.other_rep, actor=env.manager)
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("customers:list")).status_code == 200
    assert not [q for q in ctx.captured_queries if "customers_customermember" in q["sql"]]
    services.remove_member(customer, env.other_rep, actor=env.manager)
    assert client.get(url).status_code == 404


def test_without_permission_is_forbidden(env, customer, login, make_user):
    nobody = make_user(None, env.units.sales, permissions=[])
    assert login(nobody).get(reverse("customers:detail", args=[customer.pk])).status_code == 403
    assert login(nobody).get(reverse("customers:list")).status_code == 403
    assert login(env.service).get(reverse("customers:create")).status_code == 403


def test_filing_and_completeness_panels(env, customer, login):
    html = login(env.rep).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Filing" in html
    assert "Completeness" in html or "completeness" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_are_written_one_way_in_both_languages(env, customer, login, language):
    """2026-03-09 in Chinese and English alike (Django's defaults: 2026年3月9日, 03/09/2026)."""
    import datetime as dt

    customer.first_contact_date = dt.date(2026, 3, 9)
    customer.filing_deadline = dt.date(2026, 3, 16)
    customer.save()
    html = _detail_in(language, env, customer, login)
    panel = html[html.index('id="filing-panel"') :]
    assert "2026-03-09" in panel and "2026-03-16" in panel
    assert "2026年3月" not in html and "03/09/2026" not in html and "March 9" not in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_amounts_are_grouped_by_thousands(env, customer, login, language):
    from decimal import Decimal

    customer.registered_capital = Decimal("1200000.50")
    customer.save()
    assert "1,200,000.50" in _detail_in(language, env, customer, login)


def _detail_in(language: str, env, customer, login) -> str:
    """The customer page as the rep sees it in `language`."""
    client = login(env.rep)
    session = client.session
    session["_language"] = language
    session.save()
    return client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
