"""The customer handbook's half-yearly update (F-CUS-9, seed 004 §13.2.3; policy
deadlines.handbook_refresh_months): when it is due, who may mark it done, where overdue ones
show, and the monthly reminder to owners."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import NotAllowed
from guanxi.core.models import AuditEvent
from guanxi.customers import handbook_review
from guanxi.customers.models import Customer
from guanxi.customers.tasks_filing import remind_handbook_updates
from guanxi.notifications.models import Notification
from tests.support import org

CHANGE = ["customers.view_customer", "customers.change_customer"]


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(15, 30)))


@pytest.fixture
def rep(units):
    return org.make_user(org.unique("rep"), units.sales, scope="unit", permissions=CHANGE, language="en")


def test_add_months_clamps_month_ends():
    assert handbook_review.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert handbook_review.add_months(dt.date(2026, 5, 15), 6) == dt.date(2026, 11, 15)
    assert handbook_review.add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)


def test_the_overdue_filter_agrees_with_the_due_date(units, make_customer):
    """overdue_q (SQL, for lists and the reminder) and due_date (Python, for the page) give the
    same answer for every day around month ends."""
    rng = random.Random(3)
    days = [dt.date(2025, 8, 25) + dt.timedelta(days=n) for n in range(0, 220, 1)]
    customers = []
    for day in rng.sample(days, 60):
        reviewed = rng.random() < 0.5
        customers.append(
            make_customer(units.sales, filed_at=at(day - dt.timedelta(days=30)), handbook_reviewed_at=at(day) if reviewed else None)
        )
    make_customer(units.sales)  # never filed: no handbook to keep
    for on in (dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2026, 3, 31), dt.date(2026, 4, 1), dt.date(2026, 8, 31)):
        in_sql = set(Customer.objects.filter(handbook_review.overdue_q(on)).values_list("pk", flat=True))
        in_python = {c.pk for c in Customer.objects.all() if handbook_review.state(c, on) == handbook_review.OVERDUE}
        assert in_sql == in_python, on
        assert in_sql  # the sample has overdue ones on every day checked


def test_marking_updated_needs_the_right_and_the_record_in_scope(units, make_customer, rep):
    filed = make_customer(units.sales, filed_at=at(dt.date(2025, 1, 10)))
    assert handbook_review.state(filed) == handbook_review.OVERDUE
    due = handbook_review.mark_reviewed(filed, actor=rep)
    filed.refresh_from_db()
    assert filed.handbook_reviewed_by == rep and handbook_review.state(filed) == handbook_review.OK
    assert due == handbook_review.add_months(timezone.localdate(), 6)
    event = AuditEvent.objects.get(event_type="customers.handbook_reviewed")
    assert event.data["clause"] == "deadlines.handbook_refresh_months" and event.data["months"] == 6 and event.data["policy_version"]
    assert filed.history.first().handbook_reviewed_by_id == rep.pk  # in the field history too

    elsewhere = make_customer(units.service, filed_at=at(dt.date(2025, 1, 10)))
    unfiled = make_customer(units.sales)
    viewer = org.make_user(org.unique("viewer"), units.sales, scope="unit", permissions=["customers.view_customer"])
    for customer, actor in ((elsewhere, rep), (unfiled, rep), (filed, viewer)):
        with pytest.raises(NotAllowed):
            handbook_review.mark_reviewed(customer, actor=actor)


def test_the_period_comes_from_the_policy(units, make_customer, rep, monkeypatch):
    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    data = default_policy().model_dump(mode="json")
    data["deadlines"]["handbook_refresh_months"] = 3
    policy = policy_services.validate(data).with_version(5)
    monkeypatch.setattr(policy_services, "current", lambda: policy)
    customer = make_customer(units.sales, filed_at=at(dt.date(2026, 1, 15)))
    assert handbook_review.due_date(customer) == dt.date(2026, 4, 15)
    assert AuditEvent.objects.filter(event_type="customers.handbook_reviewed").count() == 0
    handbook_review.mark_reviewed(customer, actor=rep)
    assert AuditEvent.objects.get(event_type="customers.handbook_reviewed").data["policy_version"] == 5


def test_the_customer_page_panel_and_button(units, make_customer, rep, login):
    customer = make_customer(units.sales, filed_at=at(dt.date(2025, 1, 10)))
    client = login(rep)
    url = reverse("customers:detail", args=[customer.pk])
    html = client.get(url).content.decode()
    assert 'id="handbook-panel"' in html and "Update overdue" in html and "2025-07-10" in html
    assert "《客户关系管理规定》§13.2.3" in html  # why: the clause's source
    response = client.post(reverse("customers:handbook_reviewed", args=[customer.pk]), follow=True)
    html = response.content.decode()
    assert "marked up to date" in html and "Up to date" in html
    # Without the right to change, no button, and a post is refused with a message.
    viewer = org.make_user(org.unique("viewer"), units.sales, scope="unit", permissions=["customers.view_customer"], language="en")
    other = login(viewer)
    assert reverse("customers:handbook_reviewed", args=[customer.pk]) not in other.get(url).content.decode()
    response = other.post(reverse("customers:handbook_reviewed", args=[customer.pk]), follow=True)
    assert "may not update the handbook" in response.content.decode()
    # Out of scope: not found.
    outsider = org.make_user(org.unique("out"), units.service, scope="unit", permissions=CHANGE)
    assert login(outsider).post(reverse("customers:handbook_reviewed", args=[customer.pk])).status_code == 404


def test_overdue_handbooks_in_the_list_and_the_archive_queue(units, make_customer, login, archivist):
    overdue = make_customer(units.sales, filed_at=at(dt.date(2025, 1, 10)), completeness=100)
    make_customer(units.sales, filed_at=at(timezone.localdate() - dt.timedelta(days=10)), completeness=100)
    user = archivist(units.sales)
    html = login(user).get(reverse("customers:archive_queue") + "?state=handbook").content.decode()
    assert overdue.name in html and html.count('href="/customers/') >= 1
    from guanxi.customers.views_filing import queue_queryset

    assert list(queue_queryset(user, state="handbook")) == [overdue]
    from guanxi.customers.filters import CustomerFilter

    qs = CustomerFilter({"handbook": "overdue"}, queryset=Customer.objects.all()).qs
    assert list(qs) == [overdue]


def test_owners_are_reminded_once_on_the_first_of_the_month(units, make_customer, rep):
    other = org.make_user(org.unique("rep"), units.sales, scope="unit", permissions=CHANGE)
    for _ in range(2):
        make_customer(units.sales, owner=rep, filed_at=at(dt.date(2025, 1, 10)))
    make_customer(units.sales, owner=other, filed_at=at(timezone.localdate()))  # up to date
    assert remind_handbook_updates(today="2026-12-02") == 0  # not the first
    assert remind_handbook_updates(today="2026-12-01") == 1
    note = Notification.objects.get()
    assert note.recipient == rep and "2 customers" in note.title and note.url.endswith("?handbook=overdue")
    assert remind_handbook_updates(today="2026-12-01") == 0  # a second run the same day sends nothing
    event = AuditEvent.objects.get(event_type="customers.handbook_reminders_sent")
    assert event.data["customers"] == 2 and event.data["clause"] == "deadlines.handbook_refresh_months"
