"""The archivist work queue: permission, data scope, filters, sorting, "mark filed", and the
filing panel of the customer page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from guanxi.core.audit import events_for
from guanxi.customers import filing
from guanxi.customers.models import ReturnTask
from guanxi.customers.views_filing import queue_queryset
from tests.support import org

pytestmark = pytest.mark.django_db
URL = "customers:archive_queue"


def test_queue_needs_the_archive_permission(units, login):
    rep = org.make_user(org.unique("rep"), units.sales, scope="unit", permissions=["customers.view_customer"])
    assert login(rep).get(reverse(URL)).status_code == 403
    assert login(rep).post(reverse("customers:archive_file", args=[1])).status_code == 403


def test_an_archivist_sees_only_the_own_units_records(units, make_customer, archivist, login):
    mine = make_customer(units.sales, name="本部门客户", filing_deadline=dt.date(2025, 10, 14))
    theirs = make_customer(units.service, name="别的部门客户", filing_deadline=dt.date(2025, 10, 14))
    clerk = archivist(units.sales)
    page = login(clerk).get(reverse(URL))
    assert page.status_code == 200
    body = page.content.decode()
    assert "本部门客户" in body and "别的部门客户" not in body
    assert [c.pk for c in queue_queryset(clerk, state="all")] == [mine.pk]
    # Filing an out-of-scope record: not found, nothing written.
    response = login(clerk).post(reverse("customers:archive_file", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.filed_at is None


def test_mark_filed_from_the_queue(units, make_customer, archivist, login):
    c = make_customer(units.sales, first_contact_date=dt.date(2025, 9, 30))
    filing.on_created(c)
    clerk = archivist(units.sales)
    client = login(clerk)
    response = client.post(reverse("customers:archive_file", args=[c.pk]), {"next": reverse(URL) + "?state=late"})
    assert response.status_code == 302 and response["Location"] == reverse(URL) + "?state=late"
    c.refresh_from_db()
    assert c.filed_at is not None
    event = events_for(c).get(event_type="customer.filed")
    assert event.source == "web" and event.data["clause"] == "deadlines.filing_working_days"
    # Again: a clear message, no 500; an outside `next` is ignored.
    response = client.post(reverse("customers:archive_file", args=[c.pk]), {"next": "https://evil.example/"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(URL)
    assert "already filed" in response.content.decode()


def test_filters_and_sorting(units, make_customer, archivist, login):
    on = filing.today()
    late = make_customer(units.sales, name="late", filing_deadline=on - dt.timedelta(days=3), completeness=40, missing_fields=["phone"])
    due = make_customer(units.sales, name="due", filing_deadline=on + dt.timedelta(days=3), completeness=90, missing_fields=["email"])
    done = make_customer(units.sales, name="done", filed_at=timezone.now(), completeness=100)
    incomplete_filed = make_customer(units.sales, name="filed-incomplete", filed_at=timezone.now(), completeness=60, missing_fields=["fax"])
    returned = make_customer(units.sales, name="returned", filed_at=timezone.now(), completeness=100)
    ReturnTask.objects.create(customer=returned, unit=units.sales, missing_fields=["address"])
    clerk = archivist(units.sales)

    def names(**kw):
        return [c.name for c in queue_queryset(clerk, on=on, **kw)]

    assert set(names(state="open")) == {"late", "due", "filed-incomplete", "returned"}  # "done" needs no work
    assert names(state="late") == ["late"]
    assert names(state="due") == ["due"]
    assert set(names(state="incomplete")) == {"late", "due", "filed-incomplete"}
    assert names(state="returned") == ["returned"]
    assert len(names(state="all")) == 5
    assert names(state="incomplete", sort="completeness") == ["late", "filed-incomplete", "due"]
    assert names(state="incomplete", sort="-completeness") == ["due", "filed-incomplete", "late"]
    assert names(state="open", sort="deadline")[:2] == ["late", "due"]  # no deadline last

    client = login(clerk)
    body = client.get(reverse(URL), {"state": "incomplete", "sort": "completeness"}).content.decode()
    assert body.index("late") < body.index("filed-incomplete") < body.index(">due<")
    # Unknown parameters fall back to the defaults instead of failing.
    assert client.get(reverse(URL), {"state": "x", "sort": "password", "page": "abc"}).status_code == 200
    assert done.pk not in [c.pk for c in queue_queryset(clerk, on=on)]
    assert late.pk and due.pk and incomplete_filed.pk


def test_queue_shows_missing_fields_and_return_tasks(units, make_customer, archivist, login):
    c = make_customer(units.sales, name="缺信息客户", completeness=50, missing_fields=["credit_code", "contacts"])
    ReturnTask.objects.create(customer=c, unit=units.sales, missing_fields=["credit_code"])
    body = login(archivist(units.sales)).get(reverse(URL), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "缺信息客户" in body
    assert "unified social credit code" in body or "统一社会信用代码" in body
    assert reverse("customers:archive_file", args=[c.pk]) in body


def test_queue_query_count_does_not_grow_with_rows(units, make_customer, archivist, login, django_assert_max_num_queries):
    clerk = archivist(units.sales)
    client = login(clerk)
    for i in range(3):
        make_customer(units.sales, completeness=10, missing_fields=["phone"])
    client.get(reverse(URL))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse(URL))
    for i in range(30):
        c = make_customer(units.sales, completeness=10, missing_fields=["phone"])
        ReturnTask.objects.create(customer=c, unit=units.sales)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(URL))
    assert len(many.captured_queries) <= len(few.captured_queries) + 1


def test_filing_panel(units, make_customer, archivist, monkeypatch):
    monkeypatch.setattr(filing, "today", lambda: dt.date(2025, 10, 9))
    c = make_customer(units.sales, first_contact_date=dt.date(2025, 9, 30), completeness=75, missing_fields=["credit_code"])
    filing.on_created(c)
    ReturnTask.objects.create(customer=c, unit=units.sales, missing_fields=["credit_code", "contacts"])
    request = RequestFactory().get("/customers/")
    request.user = archivist(units.sales)
    html = render_to_string("customers/filing/_panel.html", {"customer": c, "request": request})
    assert "Filing due" in html
    assert "4 working days" in html  # 10-09 → 10-14: 10-10, 10-11 (调休), 10-13, 10-14
    assert "unified social credit code" in html
    assert "Open return tasks" in html and "Contacts" in html
    assert "Not filed yet" in html
    assert reverse("customers:archive_file", args=[c.pk]) in html
    # A user without the archive right sees the panel without the button.
    request.user = org.make_user(org.unique("rep"), units.sales, scope="unit", permissions=["customers.view_customer"])
    html = render_to_string("customers/filing/_panel.html", {"customer": c, "request": request})
    assert reverse("customers:archive_file", args=[c.pk]) not in html
    monkeypatch.setattr(filing, "today", lambda: dt.date(2025, 10, 16))
    html = render_to_string("customers/filing/_panel.html", {"customer": c, "request": request})
    assert "Filing late" in html and "2 working days overdue" in html


def test_the_customer_page_includes_the_filing_panel(units, make_customer, archivist, login):
    c = make_customer(units.sales, name="面板客户", first_contact_date=dt.date(2025, 9, 30), completeness=50, missing_fields=["phone"])
    filing.on_created(c)
    ReturnTask.objects.create(customer=c, unit=units.sales, missing_fields=["phone"])
    response = login(archivist(units.sales)).get(reverse("customers:detail", args=[c.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="filing-panel"' in body
    assert reverse("customers:archive_file", args=[c.pk]) in body
