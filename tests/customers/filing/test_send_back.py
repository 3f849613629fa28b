"""The archivist sends a record back to its unit by hand, with a note (seed 001 §5.1.1, F-CUS-5):
incomplete records (resolved once complete) and records not filed to the standard (resolved when
the unit marks them corrected). Permission and data scope as for filing; audited; the owner is
told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core import events
from guanxi.core.audit import events_for
from guanxi.core.errors import DomainError, NotAllowed
from guanxi.customers import completeness, filing
from guanxi.customers.models import ReturnReason, ReturnTask
from guanxi.notifications.models import Notification
from guanxi.policy.services import current
from tests.support import org

pytestmark = pytest.mark.django_db
QUEUE = "customers:archive_queue"
SEND_BACK = "customers:archive_send_back"
RESOLVE = "customers:return_task_resolve"
COMPLETE = {
    "category": "special",
    "special_kind": "bank",
    "supervising_unit": "人民银行",
    "address": "北京市西城区",
    "phone": "010-66194114",
    "contacts": [{"name": "赵敏", "mobile": "13812345678"}],
}


@pytest.fixture
def rep(units):
    """The owner: may view and change the customers of the sales unit."""
    return org.make_user(
        org.unique("rep"), units.sales, scope="unit", permissions=["customers.view_customer", "customers.change_customer"], language="en"
    )


@pytest.fixture
def complete(units, make_customer, rep):
    c = make_customer(units.sales, name="规范性客户", owner=rep, **COMPLETE)
    completeness.refresh(c)
    assert c.completeness == 100
    return c


@pytest.fixture
def incomplete(units, make_customer, rep):
    c = make_customer(units.sales, name="缺信息客户", category="direct", owner=rep)
    completeness.refresh(c)
    assert c.completeness < 100 and c.missing_fields
    return c


def _fill_in(customer):
    """Make the record complete (whatever the category asks for) and refresh it."""
    for key, value in COMPLETE.items():
        if key != "contacts":
            setattr(customer, key, value)
    customer.save()
    customer.contacts.create(name="赵敏", mobile="13812345678")
    completeness.refresh(customer)
    assert customer.completeness == 100


# ---------------------------------------------------------------- service


def test_a_complete_record_is_sent_back_as_irregular(units, complete, archivist, rep):
    clerk = archivist(units.sales)
    task = filing.send_back(complete, actor=clerk, note="  客户名称是编造的，请核实营业执照  ")
    assert task.reason == ReturnReason.IRREGULAR and task.is_open
    assert task.note == "客户名称是编造的，请核实营业执照"
    assert (task.unit_id, task.created_by_id, task.missing_fields) == (units.sales.pk, clerk.pk, [])
    assert task.policy_version == current().version and task.clause == filing.CHECK_CLAUSE
    assert task.history.count() == 1
    event = events_for(complete).get(event_type="customer.sent_back")
    assert event.actor_id == clerk.pk
    assert event.data == {
        "task": task.pk,
        "note": "客户名称是编造的，请核实营业执照",
        "unit": units.sales.pk,
        "reason": "irregular",
        "missing": [],
        "policy_version": current().version,
        "clause": "deadlines.completeness_check_weekday",
    }
    note = Notification.objects.get(recipient=rep)
    assert note.kind == "customer.sent_back" and complete.name in note.title
    assert note.body == task.note and note.url == complete.get_absolute_url()
    assert not Notification.objects.filter(recipient=clerk).exists()
    assert events.label("customer.sent_back") == "Customer record sent back to its unit"


def test_an_incomplete_record_is_sent_back_with_its_missing_fields(units, incomplete, archivist):
    task = filing.send_back(incomplete, actor=archivist(units.sales), note="请补全联系人")
    assert task.reason == ReturnReason.INCOMPLETE
    assert task.missing_fields == incomplete.missing_fields and "contacts" in task.missing_fields
    assert events_for(incomplete).get(event_type="customer.sent_back").data["missing"] == task.missing_fields


def test_a_record_without_owner_is_sent_back_without_notification(units, make_customer, archivist):
    c = make_customer(units.sales, **COMPLETE)
    filing.send_back(c, actor=archivist(units.sales), note="类别不对")
    assert ReturnTask.objects.filter(customer=c, resolved_at__isnull=True).exists()
    assert not Notification.objects.exists()


def test_a_note_is_required_and_one_open_task_at_most(units, complete, archivist):
    clerk = archivist(units.sales)
    with pytest.raises(DomainError) as exc:
        filing.send_back(complete, actor=clerk, note="   ")
    assert exc.value.field == "note"
    with pytest.raises(DomainError) as exc:
        filing.send_back(complete, actor=clerk, note="x" * (filing.NOTE_MAX_LENGTH + 1))
    assert exc.value.field == "note"
    assert not ReturnTask.objects.exists()
    filing.send_back(complete, actor=clerk, note="第一次")
    with pytest.raises(DomainError) as exc:
        filing.send_back(complete, actor=clerk, note="第二次")
    assert exc.value.code == "already_sent_back"
    assert ReturnTask.objects.filter(customer=complete).count() == 1
    assert events_for(complete).filter(event_type="customer.sent_back").count() == 1


def test_only_an_archivist_in_scope_may_send_back(units, complete, archivist, rep):
    with pytest.raises(NotAllowed):
        filing.send_back(complete, actor=rep, note="不规范")
    with pytest.raises(NotAllowed):
        filing.send_back(complete, actor=archivist(units.service), note="不规范")
    assert not ReturnTask.objects.exists()
    assert not events_for(complete).filter(event_type="customer.sent_back").exists()


def test_the_owner_marks_an_irregular_task_corrected(units, complete, archivist, rep):
    clerk = archivist(units.sales)
    task = filing.send_back(complete, actor=clerk, note="类别应为经销商")
    assert filing.can_resolve(rep, task)
    filing.resolve_task(task, actor=rep)
    task.refresh_from_db()
    assert task.resolved_at is not None and task.resolved_by_id == rep.pk
    event = events_for(complete).get(event_type="customer.return_resolved")
    assert event.actor_id == rep.pk and event.data["task"] == task.pk and event.data["reason"] == "irregular"
    told = Notification.objects.get(recipient=clerk)
    assert told.kind == "customer.return_resolved" and complete.name in told.title
    with pytest.raises(DomainError) as exc:
        filing.resolve_task(task, actor=rep)
    assert exc.value.code == "already_resolved"
    # Once corrected, the record may be sent back again.
    assert filing.send_back(complete, actor=clerk, note="还是不对").is_open


def test_who_may_mark_a_task_corrected(units, complete, incomplete, archivist, rep):
    clerk = archivist(units.sales)
    irregular = filing.send_back(complete, actor=clerk, note="不规范")
    viewer = org.make_user(org.unique("viewer"), units.sales, scope="unit", permissions=["customers.view_customer"])
    outsider = org.make_user(
        org.unique("outsider"), units.service, scope="unit", permissions=["customers.view_customer", "customers.change_customer"]
    )
    for user in (viewer, outsider, archivist(units.service)):
        assert not filing.can_resolve(user, irregular)
        with pytest.raises(NotAllowed):
            filing.resolve_task(irregular, actor=user)
    irregular.refresh_from_db()
    assert irregular.is_open
    # An incomplete record's task waits for the fields; the archivist may close it anyway.
    missing = filing.send_back(incomplete, actor=clerk, note="请补全")
    assert not filing.can_resolve(rep, missing)
    with pytest.raises(DomainError) as exc:
        filing.resolve_task(missing, actor=rep)
    assert exc.value.code == "still_incomplete"
    assert filing.can_resolve(clerk, missing)
    filing.resolve_task(missing, actor=clerk)
    missing.refresh_from_db()
    assert missing.resolved_by_id == clerk.pk


def test_completing_the_fields_resolves_only_incomplete_tasks(units, make_customer, archivist, rep):
    clerk = archivist(units.sales)
    # Incomplete, sent back by hand: resolved once complete (no one marks it).
    a = make_customer(units.sales, category="direct", owner=rep)
    completeness.refresh(a)
    task_a = filing.send_back(a, actor=clerk, note="请补全")
    # Complete but irregular; a later gap is filled in again: stays sent back.
    b = make_customer(units.sales, owner=rep, **COMPLETE)
    completeness.refresh(b)
    task_b = filing.send_back(b, actor=clerk, note="名称不规范")
    b.phone = ""
    b.save()
    completeness.refresh(b)
    assert b.completeness < 100
    _fill_in(a)
    _fill_in(b)
    task_a.refresh_from_db()
    task_b.refresh_from_db()
    assert task_a.resolved_at is not None and task_a.resolved_by_id is None
    assert task_b.is_open
    # The batch refresh (the weekly check's) leaves it open too.
    from guanxi.customers.models import Customer

    Customer.objects.filter(pk=b.pk).update(completeness=50, missing_fields=["phone"])
    completeness.refresh_queryset(Customer.objects.filter(pk=b.pk))
    task_b.refresh_from_db()
    assert task_b.is_open


def test_the_weekly_check_adds_no_second_task(units, make_customer, archivist):
    monday = dt.date(2025, 10, 20)
    created = timezone.make_aware(dt.datetime.combine(monday - dt.timedelta(days=2), dt.time(10)))
    c = make_customer(units.sales, category="direct", created_at=created)
    completeness.refresh(c)
    task = filing.send_back(c, actor=archivist(units.sales), note="请补全联系人")
    assert filing.weekly_check(monday) == 0
    assert list(ReturnTask.objects.filter(customer=c)) == [task]


# ---------------------------------------------------------------- pages


def test_send_back_from_the_queue(units, complete, archivist, login, rep):
    clerk = archivist(units.sales)
    client = login(clerk)
    back = reverse(QUEUE) + "?state=all"
    response = client.post(reverse(SEND_BACK, args=[complete.pk]), {"note": "名称不规范", "next": back}, follow=True)
    assert response.redirect_chain[-1][0] == back
    task = ReturnTask.objects.get(customer=complete)
    assert task.reason == ReturnReason.IRREGULAR and task.note == "名称不规范" and task.created_by_id == clerk.pk
    assert events_for(complete).get(event_type="customer.sent_back").source == "web"
    assert Notification.objects.filter(recipient=rep, kind="customer.sent_back").exists()
    body = response.content.decode()
    assert "is sent back to" in body and "Not filed to the standard" in body
    # Again: refused with a message, nothing new; the note is kept for the form.
    response = client.post(reverse(SEND_BACK, args=[complete.pk]), {"note": "再退一次", "next": "https://evil.example/"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(QUEUE)
    body = response.content.decode()
    assert "already been sent back" in body
    assert ReturnTask.objects.filter(customer=complete).count() == 1


def test_an_empty_note_is_refused_with_a_message(units, complete, archivist, login):
    response = login(archivist(units.sales)).post(reverse(SEND_BACK, args=[complete.pk]), {"note": "  "}, follow=True)
    assert response.status_code == 200
    assert "Say what the unit must correct." in response.content.decode()
    assert not ReturnTask.objects.exists()


def test_a_refused_note_is_kept_in_the_form(units, complete, archivist, login):
    client = login(archivist(units.sales))
    too_long = "长" * (filing.NOTE_MAX_LENGTH + 1)
    response = client.post(reverse(SEND_BACK, args=[complete.pk]), {"note": too_long, "next": reverse(QUEUE) + "?state=all"}, follow=True)
    body = response.content.decode()
    assert "The note is too long" in body
    assert too_long in body and "<details" in body and " open>" in body
    assert too_long not in client.get(reverse(QUEUE) + "?state=all").content.decode()  # shown once


def test_send_back_permission_and_scope(units, complete, make_customer, archivist, login, rep):
    # No archive right: 403, nothing written.
    assert login(rep).post(reverse(SEND_BACK, args=[complete.pk]), {"note": "x"}).status_code == 403
    # An archivist of another unit: 404, as if the record did not exist.
    assert login(archivist(units.service)).post(reverse(SEND_BACK, args=[complete.pk]), {"note": "x"}).status_code == 404
    assert login(archivist(units.sales)).get(reverse(SEND_BACK, args=[complete.pk])).status_code == 405
    assert not ReturnTask.objects.exists()
    assert not events_for(complete).filter(event_type="customer.sent_back").exists()


def test_mark_corrected_from_the_customer_page(units, complete, archivist, login, rep):
    task = filing.send_back(complete, actor=archivist(units.sales), note="类别不对")
    detail = reverse("customers:detail", args=[complete.pk])
    client = login(rep)
    body = client.get(detail).content.decode()
    assert reverse(RESOLVE, args=[task.pk]) in body and "Mark corrected" in body and "类别不对" in body
    assert reverse(SEND_BACK, args=[complete.pk]) not in body  # the rep may not send back
    response = client.post(reverse(RESOLVE, args=[task.pk]), {"next": detail}, follow=True)
    assert response.redirect_chain[-1][0] == detail
    assert "is marked corrected" in response.content.decode()
    task.refresh_from_db()
    assert task.resolved_by_id == rep.pk
    assert events_for(complete).get(event_type="customer.return_resolved").source == "web"
    # Twice: a message, no 500.
    response = client.post(reverse(RESOLVE, args=[task.pk]), follow=True)
    assert response.status_code == 200 and "already resolved" in response.content.decode()


def test_mark_corrected_permission_and_scope(units, complete, archivist, login):
    task = filing.send_back(complete, actor=archivist(units.sales), note="类别不对")
    viewer = org.make_user(org.unique("viewer"), units.sales, scope="unit", permissions=["customers.view_customer"])
    outsider = org.make_user(
        org.unique("outsider"), units.service, scope="unit", permissions=["customers.view_customer", "customers.change_customer"]
    )
    assert login(viewer).post(reverse(RESOLVE, args=[task.pk])).status_code == 403
    assert login(outsider).post(reverse(RESOLVE, args=[task.pk])).status_code == 404
    assert login(archivist(units.service)).post(reverse(RESOLVE, args=[task.pk])).status_code == 404
    assert login(outsider).post(reverse(RESOLVE, args=[task.pk + 1000])).status_code == 404
    task.refresh_from_db()
    assert task.is_open
    assert not events_for(complete).filter(event_type="customer.return_resolved").exists()


def test_the_queue_shows_the_send_back_control(units, complete, incomplete, archivist, login):
    clerk = archivist(units.sales)
    filing.send_back(incomplete, actor=clerk, note="请补全")
    body = login(clerk).get(reverse(QUEUE), {"state": "all"}).content.decode()
    assert reverse(SEND_BACK, args=[complete.pk]) in body  # no open task: the form
    assert reverse(SEND_BACK, args=[incomplete.pk]) not in body  # already sent back: the badge
    assert 'name="note"' in body and "required" in body
    assert "Send back to the unit" in body and 'lang="en"' in body
    # Chinese by default.
    clerk.language = "zh-hans"
    clerk.save()
    body = login(clerk).get(reverse(QUEUE), {"state": "all"}).content.decode()
    assert "退回部门" in body and "说明" in body


def test_the_customer_page_shows_the_task_and_the_send_back_form(units, complete, archivist, login):
    clerk = archivist(units.sales)
    detail = reverse("customers:detail", args=[complete.pk])
    client = login(clerk)
    body = client.get(detail).content.decode()
    assert reverse(SEND_BACK, args=[complete.pk]) in body and "Send back" in body
    task = filing.send_back(complete, actor=clerk, note="名称是编造的")
    body = client.get(detail).content.decode()
    assert reverse(SEND_BACK, args=[complete.pk]) not in body  # one open task at most
    assert "Not filed to the standard" in body and "名称是编造的" in body
    assert f"Sent back by {clerk.get_full_name()}" in body
    assert reverse(RESOLVE, args=[task.pk]) in body  # the archivist may close it too
    clerk.language = "zh-hans"
    clerk.save()
    body = login(clerk).get(detail).content.decode()
    assert "建档不规范" in body and "标记已整改" in body and "退回人" in body
