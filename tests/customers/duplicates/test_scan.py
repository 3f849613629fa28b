"""The monthly archive scan (seed 001 §5.2.2): duplicates, fictitious-looking and mis-assigned
records, set-based, idempotent; and the duplicates page fed by it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import Position
from guanxi.core.models import AuditEvent
from guanxi.core.periodic import JOBS
from guanxi.customers.models import Customer, DuplicateFinding, FindingKind
from guanxi.customers.tasks_duplicates import CLAUSE, is_scan_day, scan, scan_archive, with_invalid_credit_code
from guanxi.customers.validators import credit_code_check_char, validate_credit_code
from tests.support import org

OLD = timezone.now() - dt.timedelta(days=90)


def valid_code(body17="91310115MA1K3YJ2X"):
    return body17 + credit_code_check_char(body17)


def ids_of(kind):
    return [sorted(f.customers.values_list("pk", flat=True)) for f in DuplicateFinding.objects.filter(kind=kind).order_by("pk")]


def finding_for(kind, customer):
    return DuplicateFinding.objects.get(kind=kind, customers=customer)


@pytest.fixture
def archive(org_env, make_customer):
    """A small archive with one of each problem, plus clean records."""
    c = {}
    phone = {"name": "联系人", "mobile": "13700000000"}
    c["a1"] = make_customer("华新钢铁有限公司", phone="027-86001111", contacts=[phone])
    c["a2"] = make_customer("华新钢铁有限责任公司", unit=org_env.west, owner=org_env.rep_west, phone="027-86002222")
    code = valid_code()
    c["b1"] = make_customer("甲建材", credit_code=code, phone="027-86003333")
    c["b2"] = make_customer("乙贸易", credit_code=code, phone="027-86004444")
    c["p1"] = make_customer("丙商行", phone="13911112222")
    c["p2"] = make_customer("丁商行", contacts=[{"name": "某人", "mobile": "13911112222"}])
    c["test"] = make_customer("测试客户", phone="027-86005555")
    c["empty"] = make_customer("无联系人公司", created_at=OLD)
    c["fresh_empty"] = make_customer("新建未完善公司")  # still within the grace period
    c["bad_code"] = make_customer("错误代码公司", phone="027-86006666", credit_code=valid_code("91310115MA1K3YJ2Y")[:17] + "0")
    inactive = org.make_user("dup_rep", org_env.east, full_name="离职员工")
    inactive.is_active = False
    inactive.save()
    c["inactive"] = make_customer("离职员工的客户", owner=inactive, phone="027-86007777")
    c["elsewhere"] = make_customer("挂错部门的客户", unit=org_env.west, owner=org_env.rep_east, phone="027-86008888")
    c["team"] = make_customer("下属团队客户", unit=org_env.east_team, owner=org_env.manager_east, phone="027-86009999")
    c["company"] = make_customer("公司级客户", unit=org_env.east, owner=org_env.archivist, phone="027-86010000")
    c["merged"] = make_customer("华新钢铁集团", merged_into=c["a1"])
    return c


def test_scan_finds_duplicates(archive):
    c = archive
    scan()
    groups = ids_of(FindingKind.DUPLICATE)
    assert sorted([c["a1"].pk, c["a2"].pk]) in groups
    assert sorted([c["b1"].pk, c["b2"].pk]) in groups
    assert sorted([c["p1"].pk, c["p2"].pk]) in groups
    assert len(groups) == 3  # the merged record is not a duplicate
    assert finding_for(FindingKind.DUPLICATE, c["a1"]).reason == "name"
    assert finding_for(FindingKind.DUPLICATE, c["b1"]).reason == "credit_code"
    assert finding_for(FindingKind.DUPLICATE, c["p2"]).reason == "phone"


def test_scan_finds_fictitious_looking_records(archive):
    c = archive
    scan()
    found = {f.customers.get().pk: f.reason for f in DuplicateFinding.objects.filter(kind=FindingKind.FICTITIOUS)}
    assert found[c["test"].pk] == "test_name"
    assert found[c["empty"].pk] == "no_contact"
    assert found[c["bad_code"].pk] == "invalid_credit_code"
    assert c["fresh_empty"].pk not in found
    assert c["b1"].pk not in found and c["a1"].pk not in found


def test_scan_finds_misassigned_records(archive, org_env):
    c = archive
    scan()
    found = {f.customers.get().pk: f.reason for f in DuplicateFinding.objects.filter(kind=FindingKind.MISASSIGNED)}
    assert found == {c["inactive"].pk: "owner_inactive", c["elsewhere"].pk: "owner_outside_unit"}


def test_scan_is_idempotent(archive):
    first = scan()
    rows = list(DuplicateFinding.objects.order_by("pk").values_list("pk", "kind", "key", "detected_at"))
    links = DuplicateFinding.customers.through.objects.count()
    second = scan()
    assert list(DuplicateFinding.objects.order_by("pk").values_list("pk", "kind", "key", "detected_at")) == rows
    assert DuplicateFinding.customers.through.objects.count() == links
    assert all(second[k]["new"] == 0 and second[k]["gone"] == 0 for k in second)
    assert {k: v["found"] for k, v in first.items()} == {k: v["found"] for k, v in second.items()}


def test_findings_carry_policy_version_and_clause(archive):
    scan()
    finding = DuplicateFinding.objects.first()
    assert finding.clause == CLAUSE == "deadlines.duplicate_scan_day_of_month"
    assert finding.policy_version >= 0
    assert finding.history.count() == 1
    assert AuditEvent.objects.filter(event_type="customer.archive_scanned").count() == 1


def test_fixed_records_resolve_their_findings_and_dismissed_ones_stay(archive):
    c = archive
    scan()
    dismissed = finding_for(FindingKind.DUPLICATE, c["b1"])
    dismissed.resolved_at, dismissed.resolution = timezone.now(), "dismissed"
    dismissed.save()
    Customer.objects.filter(pk=c["test"].pk).update(name="正式客户", name_key="正式客户")
    scan()
    dismissed.refresh_from_db()
    assert dismissed.resolution == "dismissed"
    gone = finding_for(FindingKind.FICTITIOUS, c["test"])
    assert gone.resolution == "gone" and gone.resolved_at is not None
    assert DuplicateFinding.objects.filter(kind=FindingKind.DUPLICATE, customers=c["b1"]).count() == 1


def test_scan_query_count_does_not_grow_with_customers(org_env, make_customer):
    for i in range(3):
        make_customer(f"重复公司{i % 1}", phone=f"027-8601{i:04d}")
    with CaptureQueriesContext(connection) as few:
        scan()
    for i in range(30):
        make_customer(f"另一重复公司{i % 2}", phone=f"027-8602{i:04d}")
    DuplicateFinding.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        scan()
    # one query per finding's history/links is bulk; only per-kind bookkeeping queries remain
    assert len(many.captured_queries) <= len(few.captured_queries) + 4


def test_credit_code_check_in_sql_agrees_with_the_validator(make_customer):
    codes = [valid_code(), valid_code("12100000400000624"), "91310115MA1K3YJ2X0", "9131011SMA1K3YJ2X0", "123", "91350100M000100Y43"]
    made = [make_customer(f"代码公司{i}", credit_code=code) for i, code in enumerate(codes)]
    invalid = set(with_invalid_credit_code(Customer.objects.all()).values_list("pk", flat=True))
    for customer in made:
        try:
            validate_credit_code(customer.credit_code)
            ok = True
        except Exception:
            ok = False
        assert (customer.pk not in invalid) == ok, customer.credit_code


def test_scan_day_follows_the_policy():
    assert is_scan_day(dt.date(2025, 3, 1), 1)
    assert not is_scan_day(dt.date(2025, 3, 2), 1)
    assert is_scan_day(dt.date(2025, 2, 28), 31)  # a short month scans on its last day
    assert "customers.scan_archive" in JOBS


def test_periodic_task_scans_only_on_the_day(archive, monkeypatch):
    from guanxi.customers import tasks_duplicates

    monkeypatch.setattr(tasks_duplicates, "is_scan_day", lambda today, day: False)
    assert scan_archive() is None
    assert not DuplicateFinding.objects.exists()
    assert scan_archive(force=True)["duplicate"]["found"] == 3


# ---------------------------------------------------------------- the page


def test_page_needs_merge_or_archive_permission(login, org_env, db):
    assert login(org_env.rep_east).get(reverse("customers:duplicates")).status_code == 403
    assert login(org_env.rep_east).post(reverse("customers:duplicates_scan")).status_code == 403
    page = login(org_env.archivist).get(reverse("customers:duplicates"))
    assert page.status_code == 200
    assert "《CRM系统使用规范》§5.2.2" in page.content.decode()  # the rule it applies, by the document's title
    assert login(org_env.manager_east).get(reverse("customers:duplicates")).status_code == 200


def test_page_shows_findings_in_scope_without_leaking(login, org_env, archive):
    c = archive
    scan()
    html = login(org_env.manager_east).get(reverse("customers:duplicates")).content.decode()
    # east manager: the a1/a2 group shows (a1 is east), a2 by name and owner only, no link
    assert "华新钢铁有限责任公司" in html and "李西" in html
    assert reverse("customers:detail", args=[c["a1"].pk]) in html
    assert reverse("customers:detail", args=[c["a2"].pk]) not in html
    assert "86002222" not in html
    # a finding only about west records does not show
    west_only = org.make_user("dup_manager", org_env.west, full_name="西经理")
    west_html = login(west_only).get(reverse("customers:duplicates"), {"kind": "misassigned"}).content.decode()
    assert "离职员工的客户" not in west_html
    assert "挂错部门的客户" in west_html


def test_page_merge_link_and_filters(login, org_env, archive):
    scan()
    client = login(org_env.archivist)
    html = client.get(reverse("customers:duplicates"), {"kind": "duplicate"}).content.decode()
    assert reverse("customers:merge") in html
    assert "测试客户" not in html
    html = client.get(reverse("customers:duplicates"), {"kind": "fictitious", "state": "resolved", "page": "x"}).content.decode()
    assert "测试客户" not in html


def test_run_now_and_dismiss(login, org_env, archive):
    c = archive
    client = login(org_env.archivist)
    response = client.post(reverse("customers:duplicates_scan"))
    assert response.status_code == 302
    assert DuplicateFinding.objects.filter(kind=FindingKind.DUPLICATE).count() == 3
    finding = finding_for(FindingKind.FICTITIOUS, c["test"])
    assert client.post(reverse("customers:finding_dismiss", args=[finding.pk])).status_code == 302
    finding.refresh_from_db()
    assert finding.resolution == "dismissed" and finding.resolved_by_id == org_env.archivist.pk
    assert AuditEvent.objects.filter(event_type="customer.finding_dismissed", source="web").count() == 1
    # twice: a clear message, no error
    assert client.post(reverse("customers:finding_dismiss", args=[finding.pk])).status_code == 302
    # out of scope: not found
    west_finding = finding_for(FindingKind.MISASSIGNED, c["elsewhere"])
    east_manager = login(org_env.manager_east)
    assert east_manager.post(reverse("customers:finding_dismiss", args=[west_finding.pk])).status_code == 404


def test_page_query_count_is_flat(login, org_env, make_customer):
    from tests.support.scoped import assert_no_n_plus_one

    counter = iter(range(1000))

    def make_one():
        n = next(counter)
        a = make_customer(f"重复{n}号公司", phone="")
        b = make_customer(f"重复{n}号有限公司", phone="", unit=org_env.west, owner=org_env.rep_west)
        f = DuplicateFinding.objects.create(kind=FindingKind.DUPLICATE, key=f"k{n}", reason="name")
        f.customers.set([a, b])

    assert_no_n_plus_one(login(org_env.archivist), reverse("customers:duplicates"), make_one, max_queries=20)


def test_position_change_moves_a_record_out_of_misassigned(archive, org_env):
    c = archive
    scan()
    Position.objects.create(user=org_env.rep_east, unit=org_env.west, role=org.make_role("dup_rep"))
    scan()
    assert finding_for(FindingKind.MISASSIGNED, c["elsewhere"]).resolution == "gone"
