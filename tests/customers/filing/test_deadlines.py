"""Filing deadlines in Chinese working days, status (filed / due / late, change reports) and the
unfiled marker (F-CUS-4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.customers import filing
from guanxi.customers.models import Customer

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.mark.parametrize(
    ("first_contact", "deadline"),
    [
        # National Day 2025: 10-01…10-08 off, Saturday 10-11 a make-up working day (调休).
        (D(2025, 9, 30), D(2025, 10, 14)),
        (D(2025, 9, 26), D(2025, 10, 10)),  # Sunday 09-28 is a make-up working day: 09-28, 09-29, 09-30, 10-09, 10-10
        # Spring Festival 2026: 02-15…02-23 off, Saturdays 02-14 and 02-28 make-up working days.
        (D(2026, 2, 12), D(2026, 2, 26)),
        (D(2026, 2, 16), D(2026, 2, 28)),  # first contact inside the holiday: 02-24 … 02-27, 02-28 (调休)
        (D(2025, 6, 2), D(2025, 6, 9)),  # an ordinary week
    ],
)
def test_deadline_is_five_working_days_after_first_contact(units, make_customer, first_contact, deadline):
    customer = make_customer(units.sales, first_contact_date=first_contact)
    assert filing.on_created(customer) == deadline
    customer.refresh_from_db()
    assert (customer.first_contact_date, customer.filing_deadline) == (first_contact, deadline)


def test_first_contact_defaults_to_today_in_shanghai(units, make_customer, monkeypatch):
    # 17:30 UTC on 30 September is already 1 October in Asia/Shanghai.
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 9, 30, 17, 30, tzinfo=dt.UTC))
    customer = make_customer(units.sales)
    filing.on_created(customer)
    customer.refresh_from_db()
    assert customer.first_contact_date == D(2025, 10, 1)
    assert customer.filing_deadline == D(2025, 10, 14)  # 10-09, 10-10, 10-11 (调休), 10-13, 10-14


def test_the_policy_sets_the_number_of_working_days(units, make_customer):
    from guanxi.policy.schema import default_policy

    policy = default_policy()
    policy.deadlines.filing_working_days = 2
    customer = make_customer(units.sales, first_contact_date=D(2025, 9, 30))
    assert filing.on_created(customer, policy=policy) == D(2025, 10, 10)


def test_status_due_late_filed(units, make_customer):
    c = make_customer(units.sales, first_contact_date=D(2025, 9, 30))
    filing.on_created(c)
    assert filing.filing_status(c, D(2025, 10, 14)) == filing.DUE  # on the deadline day: still due
    assert filing.filing_status(c, D(2025, 10, 15)) == filing.LATE
    assert filing.working_days_left(c, D(2025, 9, 30)) == 5
    assert filing.working_days_left(c, D(2025, 10, 14)) == 0
    assert filing.working_days_left(c, D(2025, 10, 16)) == -2
    c.filed_at = timezone.now()
    assert filing.filing_status(c, D(2025, 11, 1)) == filing.FILED
    # Without a deadline (legacy record): due, never late.
    legacy = make_customer(units.sales)
    assert filing.filing_status(legacy, D(2030, 1, 1)) == filing.DUE


def test_queryset_annotation_and_filters_agree_with_the_single_record_rule(units, make_customer):
    on = D(2025, 10, 15)
    due = make_customer(units.sales, filing_deadline=D(2025, 10, 20))
    late = make_customer(units.sales, filing_deadline=D(2025, 10, 14))
    filed = make_customer(units.sales, filing_deadline=D(2025, 10, 1), filed_at=timezone.now())
    change_due = make_customer(units.sales, filed_at=timezone.now(), change_report_deadline=D(2025, 10, 15))
    change_late = make_customer(units.sales, filed_at=timezone.now(), change_report_deadline=D(2025, 10, 14))
    no_deadline = make_customer(units.sales)
    expected = {
        due.pk: "due",
        late.pk: "late",
        filed.pk: "filed",
        change_due.pk: "change_due",
        change_late.pk: "change_late",
        no_deadline.pk: "due",
    }
    rows = dict(filing.with_filing_status(Customer.objects.all(), on).values_list("pk", "filing_status"))
    assert rows == expected
    assert {c.pk: filing.filing_status(c, on) for c in Customer.objects.all()} == expected

    def pks(status):
        return set(filing.with_filing_status(Customer.objects.all(), on, status=status).values_list("pk", flat=True))

    assert pks("late") == {late.pk, change_late.pk}
    assert pks("due") == {due.pk, no_deadline.pk, change_due.pk}
    assert pks("unfiled") == {due.pk, late.pk, no_deadline.pk}
    assert pks("filed") == {filed.pk}
    assert pks("nonsense") == set()
    # The customer list's filter: filed means filed, whatever change report is pending.
    assert set(Customer.objects.filter(filing.status_q("filed", on)).values_list("pk", flat=True)) == {
        filed.pk,
        change_due.pk,
        change_late.pk,
    }
    assert set(Customer.objects.filter(filing.status_q("late", on)).values_list("pk", flat=True)) == {late.pk}
    assert filing.status_q("bogus", on) is None
    assert filing.status(change_late, on) == "filed"


def test_unfiled_marker(units, make_customer):
    c = make_customer(units.sales)
    assert filing.is_unfiled(c)
    assert set(Customer.objects.filter(filing.unfiled_q()).values_list("pk", flat=True)) == {c.pk}
    c.filed_at = timezone.now()
    c.save()
    assert not filing.is_unfiled(c)
    assert not Customer.objects.filter(filing.unfiled_q()).exists()
    # For related models (expenses, orders…): the customer__ prefix.
    assert str(filing.unfiled_q("customer__")) == str(filing.unfiled_q("customer__"))
    assert "customer__filed_at__isnull" in str(filing.unfiled_q("customer__"))
