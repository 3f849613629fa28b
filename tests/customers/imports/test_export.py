"""Export of the customer list (F-SEC-2): scope, permission, masking, formula injection, audit."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse
from django.utils import translation

from guanxi.core.models import AuditEvent
from guanxi.customers.exports import columns, export_customers
from guanxi.customers.models import Customer


def col(name: str) -> int:
    """Column position by English title (the page may speak Chinese)."""
    with translation.override("en"):
        return columns().index(name)


def sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    assert "spreadsheetml" in response["Content-Type"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    return [tuple(r) for r in wb.active.iter_rows(values_only=True)]


def test_export_only_own_rows_masked_and_audited(env, login, make_customer):
    mine = make_customer("我的客户有限公司", owner=env.rep, contacts=[{"name": "王五", "mobile": "13812345678", "is_primary": True}])
    make_customer("别人的客户有限公司", owner=env.rep_west, unit=env.west)
    client = login(env.rep)
    rows = sheet(client.get(reverse("customers:export")))
    names = [r[0] for r in rows[1:]]
    assert names == [mine.name]
    mobile = rows[1][col("Contact mobile")]
    assert mobile == "138****5678"
    event = AuditEvent.objects.get(event_type="export.downloaded")
    assert event.actor == env.rep and event.data["rows"] == 1 and event.data["model"] == "customers.customer"
    assert event.data["masked"] is True and event.source == "web"


def test_export_unmasked_for_users_with_the_right(env, login, make_customer):
    make_customer("我的客户有限公司", owner=env.rep, contacts=[{"name": "王五", "mobile": "13812345678", "is_primary": True}])
    rows = sheet(login(env.importer).get(reverse("customers:export")))
    assert rows[1][col("Contact mobile")] == "13812345678"


def test_export_uses_the_list_filters(env, login, make_customer):
    make_customer("华新钢铁有限公司", owner=env.rep, status="active")
    make_customer("长江建材有限公司", owner=env.rep, status="lost")
    client = login(env.importer)
    rows = sheet(client.get(reverse("customers:export") + "?status=active"))
    assert [r[0] for r in rows[1:]] == ["华新钢铁有限公司"]
    event = AuditEvent.objects.filter(event_type="export.downloaded").latest("pk")
    assert event.data["rows"] == 1 and event.data["filters"] == {"status": "active"}


def test_export_neutralises_formulas(env, login, make_customer):
    make_customer('=HYPERLINK("http://evil","x")', owner=env.rep, address="+1+cmd|' /C calc'!A0", industry="@SUM(1)")
    rows = sheet(login(env.rep).get(reverse("customers:export")))
    row = rows[1]
    assert row[0] == '\'=HYPERLINK("http://evil","x")'
    assert row[col("Address")] == "'+1+cmd|' /C calc'!A0"
    assert row[col("Industry")] == "'@SUM(1)"


def test_export_without_permission_is_403(env, login, make_customer):
    make_customer("我的客户有限公司", owner=env.rep)
    client = login(env.viewer)  # may view, not export
    assert client.get(reverse("customers:export")).status_code == 403
    assert not AuditEvent.objects.filter(event_type="export.downloaded").exists()


def test_export_function_narrows_a_wider_queryset(env, make_customer):
    make_customer("我的客户有限公司", owner=env.rep)
    make_customer("别人的客户有限公司", owner=env.rep_west, unit=env.west)
    response = export_customers(env.rep, Customer.objects.all())
    assert [r[0] for r in sheet(response)[1:]] == ["我的客户有限公司"]


def _policy_with_export_limit(monkeypatch, limit: int):
    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    data = default_policy().model_dump(mode="json")
    data["security"]["export_row_limit"] = limit
    policy = policy_services.validate(data).with_version(42)
    monkeypatch.setattr(policy_services, "current", lambda: policy)
    return policy


def test_an_export_past_the_policy_limit_is_refused_with_the_clause(env, login, make_customer, monkeypatch):
    """security.export_row_limit (F-SEC-2): more rows than the cap → no file, a message naming
    the cap and the policy, an audited refusal; at the cap the file is written whole."""
    for n in range(3):
        make_customer(f"客户{n}有限公司", owner=env.rep)
    _policy_with_export_limit(monkeypatch, 2)
    client = login(env.importer)
    response = client.get(reverse("customers:export") + "?status=potential", HTTP_REFERER="http://testserver/customers/?status=potential")
    assert response.status_code == 302 and response["Location"] == "http://testserver/customers/?status=potential"
    message = str(next(iter(response.wsgi_request._messages)))
    assert "2" in message and "42" in message
    refused = AuditEvent.objects.get(event_type="export.refused")
    assert refused.data["limit"] == 2 and refused.data["clause"] == "security.export_row_limit" and refused.data["policy_version"] == 42
    assert not AuditEvent.objects.filter(event_type="export.downloaded").exists()

    _policy_with_export_limit(monkeypatch, 3)  # exactly at the cap: written whole
    assert len(sheet(client.get(reverse("customers:export")))) == 1 + 3
    _policy_with_export_limit(monkeypatch, 0)  # 0 = no cap
    assert len(sheet(client.get(reverse("customers:export")))) == 1 + 3


def test_the_shared_download_counts_and_caps_any_rows(env, monkeypatch):
    """The grade, blacklist, admission and review exports write through the same download."""
    import pytest

    from guanxi.customers import downloads

    _policy_with_export_limit(monkeypatch, 1)
    with pytest.raises(downloads.ExportTooLarge):
        downloads.xlsx_download(user=env.importer, model_label="x.y", sheet="s", header=["h"], rows=iter([["a"], ["b"]]), filename="f")
    response = downloads.xlsx_download(user=env.importer, model_label="x.y", sheet="s", header=["h"], rows=iter([["a"]]), filename="f")
    assert response["X-Export-Rows"] == "1" and 'filename="f-' in response["Content-Disposition"]
