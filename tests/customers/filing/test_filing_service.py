"""The archivist files a record; a change of a filed record's key fields must be reported
(F-CUS-4, seed 002 §1.4). Every decision is audited with the policy version and clause."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.core.audit import events_for
from guanxi.core.errors import DomainError, NotAllowed
from guanxi.customers import filing
from guanxi.policy.services import current
from tests.support import org

pytestmark = pytest.mark.django_db


def test_filing_is_audited_with_policy_version_and_clause(units, make_customer, archivist, monkeypatch):
    monkeypatch.setattr(filing, "today", lambda: dt.date(2025, 10, 16))
    clerk = archivist(units.sales)
    c = make_customer(units.sales, first_contact_date=dt.date(2025, 9, 30))
    filing.on_created(c)
    version_before = c.version
    filing.file_customer(c, actor=clerk)
    c.refresh_from_db()
    assert c.filed_at is not None and not filing.is_unfiled(c)
    assert c.version == version_before + 1
    event = events_for(c).get(event_type="customer.filed")
    assert event.actor_id == clerk.pk
    assert event.data["policy_version"] == current().version
    assert event.data["clause"] == "deadlines.filing_working_days"
    assert event.data["deadline"] == "2025-10-14"
    assert event.data["late"] is True  # filed long after the deadline
    assert event.data["working_days_late"] == 2
    # Field history keeps the change of filed_at.
    assert c.history.count() >= 1 and c.history.first().filed_at is not None


def test_filing_twice_is_refused(units, make_customer, archivist):
    clerk = archivist(units.sales)
    c = make_customer(units.sales)
    filing.file_customer(c, actor=clerk)
    with pytest.raises(DomainError, match="already filed"):
        filing.file_customer(c, actor=clerk)


def test_only_an_archivist_in_scope_may_file(units, make_customer, archivist):
    c = make_customer(units.sales)
    rep = org.make_user(org.unique("rep"), units.sales, scope="unit", permissions=["customers.view_customer"])
    with pytest.raises(NotAllowed):
        filing.file_customer(c, actor=rep)
    other = archivist(units.service)
    with pytest.raises(NotAllowed):
        filing.file_customer(c, actor=other)
    c.refresh_from_db()
    assert c.filed_at is None
    assert not events_for(c).filter(event_type="customer.filed").exists()


def test_a_key_change_of_a_filed_record_starts_the_change_report_deadline(units, make_customer, archivist, monkeypatch):
    clerk = archivist(units.sales)
    c = make_customer(units.sales, filed_at=timezone.now())
    monkeypatch.setattr(filing, "today", lambda: dt.date(2026, 2, 12))
    assert filing.on_changed(c, ["website"]) is None  # not a key field
    assert filing.on_changed(c, ["address", "website"]) == dt.date(2026, 2, 26)  # across the Spring Festival
    c.refresh_from_db()
    assert c.change_report_deadline == dt.date(2026, 2, 26)
    event = events_for(c).get(event_type="customer.change_report_due")
    assert event.data["fields"] == ["address"]
    assert event.data["clause"] == "deadlines.change_report_working_days"
    assert event.data["policy_version"] == current().version
    # A second change while the report is pending keeps the first deadline.
    assert filing.on_changed(c, ["name"]) is None
    assert filing.filing_status(c, dt.date(2026, 2, 26)) == filing.CHANGE_DUE
    assert filing.filing_status(c, dt.date(2026, 2, 27)) == filing.CHANGE_LATE
    # The archivist records the report.
    filing.file_customer(c, actor=clerk)
    c.refresh_from_db()
    assert c.change_report_deadline is None
    reported = events_for(c).get(event_type="customer.change_reported")
    assert reported.data["clause"] == "deadlines.change_report_working_days"


def test_changes_of_an_unfiled_record_need_no_report_but_move_the_deadline(units, make_customer):
    c = make_customer(units.sales, first_contact_date=dt.date(2025, 9, 30))
    filing.on_created(c)
    assert filing.on_changed(c, ["name", "address"]) is None
    c.first_contact_date = dt.date(2025, 6, 2)
    c.save()
    filing.on_changed(c, ["first_contact_date"])
    c.refresh_from_db()
    assert c.change_report_deadline is None
    assert c.filing_deadline == dt.date(2025, 6, 9)
