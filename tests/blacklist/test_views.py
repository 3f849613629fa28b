"""Blacklist pages, the customer page banner and panel, the duplicate-check flag, the API."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.approvals import services as approvals
from guanxi.blacklist import services
from guanxi.blacklist.models import BlacklistEntry, EntryStatus, Level
from guanxi.core import context
from guanxi.customers import duplicates
from guanxi.customers.models import Customer

BACKEND = "guanxi.accounts.backends.PositionBackend"


def _english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def _login(client, user):
    client.force_login(_english(user), backend=BACKEND)
    return client


def _department(env, c, unit=None, actor=None):
    return services.add_entry(
        customer=c, level=Level.DEPARTMENT, actor=actor or env.manager, reason="多次逾期未提货", unit=unit or env.units.sales
    )


def _company(env, c):
    entry = services.add_entry(customer=c, level=Level.COMPANY, actor=env.manager, reason="恶意违约造成重大损失")
    approvals.approve(entry.approval_id, env.director)
    entry.refresh_from_db()
    return entry


# ---------------------------------------------------------------- customer page


def test_banner_names_the_lists_and_reasons(env, customer, client):
    c = customer()
    _department(env, c)
    url = reverse("customers:detail", args=[c.pk])
    html = _login(client, env.rep).get(url).content.decode()
    assert 'id="blacklisted-banner"' in html
    assert "Blacklist of Sales" in html and "多次逾期未提货" in html
    assert "No new opportunity, order or contract" in html
    # The department entry is not the company list: the title says so.
    assert "on a department blacklist" in html
    _company(env, c)
    html = _login(client, env.rep).get(url).content.decode()
    assert "on the company blacklist" in html and "恶意违约造成重大损失" in html
    assert html.count('id="blacklisted-banner"') == 1  # the customer page's own banner is gone


def test_no_banner_for_a_clean_customer_and_banner_for_status_only(env, customer, client):
    c = customer()
    html = _login(client, env.rep).get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert 'id="blacklisted-banner"' not in html
    b = customer("只有状态的黑名单公司", status="blacklisted")
    html = client.get(reverse("customers:detail", args=[b.pk])).content.decode()
    assert 'id="blacklisted-banner"' in html and "marked as blacklisted" in html


def test_side_panel_add_button_for_managers_only(env, customer, client):
    c = customer()
    url = reverse("customers:detail", args=[c.pk])
    html = _login(client, env.manager).get(url).content.decode()
    assert 'id="blacklist-add"' in html and f"{reverse('blacklist:add')}?customer={c.pk}" in html
    html = _login(client, env.rep).get(url).content.decode()
    assert 'id="blacklist-panel"' in html and 'id="blacklist-add"' not in html


# ---------------------------------------------------------------- pages


def test_add_from_the_customer_page_and_lift(env, customer, client):
    c = customer()
    _login(client, env.manager)
    add = reverse("blacklist:add")
    assert client.get(add, {"q": c.name[:4]}).status_code == 200
    assert c.name in client.get(add, {"q": c.name[:4]}).content.decode()
    page = client.get(add, {"customer": c.pk})
    assert page.status_code == 200 and 'id="blacklist-form"' in page.content.decode()
    response = client.post(add, {"customer": c.pk, "level": "department", "unit": env.units.east.pk, "reason": "提供虚假资质"})
    entry = BlacklistEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("blacklist:detail", args=[entry.pk])
    assert entry.unit == env.units.east and entry.status == EntryStatus.ACTIVE and entry.created_by == env.manager
    detail = client.get(response["Location"]).content.decode()
    assert 'id="lift-button"' in detail
    # Lifting needs a reason; the rep sees the entry but cannot lift it.
    rep = _login(APIClient(), env.rep)
    assert 'id="lift-button"' not in rep.get(response["Location"]).content.decode()
    assert rep.post(reverse("blacklist:lift", args=[entry.pk]), {"reason": "x"}).status_code == 403
    client.post(reverse("blacklist:lift", args=[entry.pk]), {"reason": ""})
    assert BlacklistEntry.objects.get().status == EntryStatus.ACTIVE
    client.post(reverse("blacklist:lift", args=[entry.pk]), {"reason": "已整改"})
    assert BlacklistEntry.objects.get().status == EntryStatus.LIFTED


def test_add_refusals_are_form_errors(env, customer, client):
    c = customer()
    _department(env, c)
    _login(client, env.manager)
    response = client.post(
        reverse("blacklist:add"), {"customer": c.pk, "level": "department", "unit": env.units.sales.pk, "reason": "again"}
    )
    assert response.status_code == 200 and "already on the blacklist of Sales" in response.content.decode()
    response = client.post(reverse("blacklist:add"), {"customer": c.pk, "level": "company", "reason": " "})
    assert response.status_code == 200
    assert BlacklistEntry.objects.count() == 1
    # A rep may not add at all.
    assert _login(client, env.rep).get(reverse("blacklist:add")).status_code == 403


def test_company_proposal_from_the_form_goes_to_approval(env, customer, client):
    c = customer()
    _login(client, env.manager)
    response = client.post(reverse("blacklist:add"), {"customer": c.pk, "level": "company", "reason": "重大损失", "evidence": "见附件"})
    entry = BlacklistEntry.objects.get()
    assert response.status_code == 302 and entry.status == EntryStatus.PENDING and entry.level == Level.COMPANY
    page = _login(client, env.director).get(reverse("approvals:detail", args=[entry.approval_id])).content.decode()
    assert c.name in page and "重大损失" in page and "见附件" in page


def test_list_scope_filters_sort_and_export(env, customer, client):
    sales_c = customer("销售部拉黑公司")
    svc_c = customer("客服部拉黑公司", unit=env.units.service.pk)
    Customer.objects.filter(pk=svc_c.pk).update(owner=env.service_manager)
    company_c = customer("公司级黑名单公司")
    _department(env, sales_c)
    _department(env, Customer.objects.get(pk=svc_c.pk), unit=env.units.service, actor=env.service_manager)
    _company(env, company_c)
    html = _login(client, env.manager).get(reverse("blacklist:list")).content.decode()
    assert "销售部拉黑公司" in html and "公司级黑名单公司" in html and "客服部拉黑公司" not in html
    html = client.get(reverse("blacklist:list"), {"level": "company"}).content.decode()
    assert "公司级黑名单公司" in html and "销售部拉黑公司" not in html
    assert client.get(reverse("blacklist:list"), {"sort": "customer"}).status_code == 200
    assert client.get(reverse("blacklist:list"), {"sort": "-unit", "status": "active"}).status_code == 200
    # The director sees everything; the export keeps the filters and the scope.
    html = _login(client, env.director).get(reverse("blacklist:list")).content.decode()
    assert "客服部拉黑公司" in html
    response = _login(client, env.manager).get(reverse("blacklist:export"), {"level": "department"})
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    text = [c for row in wb.active.iter_rows(values_only=True) for c in row if c]
    assert "销售部拉黑公司" in text and "公司级黑名单公司" not in text and "客服部拉黑公司" not in text
    # A rep reads the list but may not export it.
    assert _login(client, env.rep).get(reverse("blacklist:list")).status_code == 200
    assert client.get(reverse("blacklist:export")).status_code == 403


# ---------------------------------------------------------------- duplicate check


def test_duplicate_hit_says_blacklisted(env, customer, client):
    listed = customer("上海宝钢贸易有限公司")
    dept_only = customer("上海宝钢物流有限公司")
    _company(env, listed)
    _department(env, dept_only)
    context.set_actor(env.manager.pk)
    try:
        hits = {h.id: h for h in duplicates.find_duplicates({"name": "上海宝钢贸易有限公司"})}
        assert hits[listed.pk].flags == ("Company blacklist",) and hits[listed.pk].blacklisted
        hit = duplicates.find_duplicates({"name": "上海宝钢物流有限公司"})[0]
        assert hit.flags == ("Blacklist of Sales",) and hit.as_dict()["flags"] == ["Blacklist of Sales"]
        context.set_actor(env.service_manager.pk)  # another department's list is not its concern
        assert duplicates.find_duplicates({"name": "上海宝钢物流有限公司"})[0].flags == ()
    finally:
        context.set_actor(None)
    # The live warning of the create form shows it.
    html = _login(client, env.manager).get(reverse("customers:duplicate_check"), {"name": "上海宝钢物流有限公司"}).content.decode()
    assert "hit-flag" in html and "Blacklist of Sales" in html


def test_the_live_check_reads_the_users_units_from_the_principal(env, customer, client):
    """The flags' unit chain comes from the signed-in user's cached principal (its access version
    read along with the user), not from a positions query per check."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _department(env, customer("上海宝钢物流有限公司"))
    logged_in = _login(client, env.manager)
    url = reverse("customers:duplicate_check")
    logged_in.get(url, {"name": "上海宝钢物流有限公司"})
    with CaptureQueriesContext(connection) as ctx:
        html = logged_in.get(url, {"name": "上海宝钢物流有限公司"}).content.decode()
    assert "Blacklist of Sales" in html
    assert not [q for q in ctx.captured_queries if "accounts_position" in q["sql"]]


def test_import_duplicates_carry_the_flag(env, customer):
    from guanxi.customers.imports import find_db_duplicates

    listed = customer("杭州钢铁贸易有限公司")
    _company(env, listed)

    class Row:
        keys = (listed.name_key, "", [])
        hits: dict = {}

    context.set_actor(env.manager.pk)
    try:
        details = find_db_duplicates([Row()])
    finally:
        context.set_actor(None)
    assert details[listed.pk]["flags"] == ["Company blacklist"]


# ---------------------------------------------------------------- API


def test_api_create_lift_and_errors(env, customer):
    c = customer()
    api = _login(APIClient(), env.manager)
    url = reverse("blacklistentry-list")
    response = api.post(url, {"customer": c.pk, "level": "department", "reason": "多次逾期"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["unit"] == env.units.sales.pk and body["list_name"] == "Blacklist of Sales"
    again = api.post(url, {"customer": c.pk, "level": "department", "reason": "多次逾期"}, format="json")
    assert again.status_code == 409 and "already on the blacklist" in again.json()["detail"]
    proposal = api.post(url, {"customer": c.pk, "level": "company", "reason": "重大损失"}, format="json")
    assert proposal.status_code == 201 and proposal.json()["status"] == "pending" and proposal.json()["approval"]
    lift = reverse("blacklistentry-lift", args=[body["id"]])
    assert api.post(lift, {}, format="json").status_code == 400
    rep = _login(APIClient(), env.rep)
    assert rep.post(lift, {"reason": "x"}, format="json").status_code == 403
    assert rep.post(url, {"customer": c.pk, "level": "department", "reason": "x"}, format="json").status_code == 403
    response = api.post(lift, {"reason": "已解决"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "lifted"
    assert api.patch(reverse("blacklistentry-detail", args=[body["id"]]), {"reason": "x"}, format="json").status_code == 405


def test_schema_has_the_blacklist_endpoints(env, client):
    response = _login(client, env.manager).get(reverse("api-schema"))
    text = response.content.decode()
    assert "/api/blacklist/entries/{id}/lift/" in text
