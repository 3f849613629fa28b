"""Keeping each customer's handbook 客户信息手册 up to date (F-CUS-9, seed 004 §13.2.3: "updated
every half year from the day's market information and the company's customer work").

The handbook itself is built from the archive whenever it is opened (handbook.py), so what ages
is the archive behind it. Someone who knows the customer — its rep, the archivist — goes through
the record and its contacts and says so ("mark the handbook updated"). The next update is due
`deadlines.handbook_refresh_months` (6) after that, or after the filing for a record never
reviewed; an unfiled record has no handbook to keep yet.

- `due_date(customer)` and `state(customer)`: what the customer page shows.
- `mark_reviewed(customer, actor)`: needs the right to change the record, in scope; audited
  with the policy version, the clause and the next due date.
- `overdue_q(on)`: the records whose update is overdue (the archivist queue's filter, the
  customer list's filter, the reminder).
- `remind(on)`: on the first of each month every owner hears how many of their customers'
  handbooks are overdue (one notification each; audited with the policy version and clause).
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.core import audit
from guanxi.core.errors import NotAllowed
from guanxi.policy import services as policy_services

from .models import Customer

CLAUSE = "deadlines.handbook_refresh_months"
OK, OVERDUE = "ok", "overdue"


def months(policy=None) -> int:
    return policy_services.given_or_current(policy).deadlines.handbook_refresh_months


def add_months(day: dt.date, n: int) -> dt.date:
    """`day` n calendar months later (the 31st becomes the month's last day)."""
    month = day.month - 1 + n
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def last_update(customer: Customer) -> dt.date | None:
    """When the handbook was last brought up to date: its review, else the filing."""
    moment = customer.handbook_reviewed_at or customer.filed_at
    return timezone.localdate(moment) if moment else None


def due_date(customer: Customer, policy=None) -> dt.date | None:
    since = last_update(customer)
    return add_months(since, months(policy)) if since else None


def state(customer: Customer, on: dt.date | None = None, policy=None) -> str | None:
    due = due_date(customer, policy)
    if due is None:
        return None
    return OVERDUE if due < (on or timezone.localdate()) else OK


def overdue_q(on: dt.date | None = None, policy=None) -> Q:
    """Customers (live ones: the caller narrows) whose handbook update is overdue on `on`."""
    on = on or timezone.localdate()
    # due < on  ⇔  last update before the earliest day whose due date is not before `on`
    cutoff = _start_of(_months_before(on, months(policy)))
    return Q(handbook_reviewed_at__lt=cutoff) | Q(handbook_reviewed_at__isnull=True, filed_at__lt=cutoff)


def _months_before(day: dt.date, n: int) -> dt.date:
    """The earliest date whose update falls due on or after `day`. Going back n months lands on
    it, unless the month end clamped (31 Mar − 1 month = 28 Feb, due 28 Mar): then the next day,
    the 1st of a month, is the first that counts."""
    back = add_months(day, -n)
    return back if add_months(back, n) >= day else back + dt.timedelta(days=1)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def can_mark(actor, customer: Customer) -> bool:
    from .services import may_change

    return customer.filed_at is not None and may_change(actor, customer)


def mark_reviewed(customer: Customer, *, actor, policy=None) -> dt.date:
    """Records that `actor` brought the customer's handbook up to date now; returns the next due
    date."""
    policy = policy_services.given_or_current(policy)
    if not can_mark(actor, customer):
        raise NotAllowed(_("You may not update the handbook of this customer."), code="not_allowed")
    customer.handbook_reviewed_at = timezone.now()
    customer.handbook_reviewed_by = actor
    customer._change_reason = "handbook updated"
    customer.save(update_fields=["handbook_reviewed_at", "handbook_reviewed_by"])
    due = due_date(customer, policy)
    audit.record(
        "customers.handbook_reviewed",
        subject=customer,
        actor=actor,
        data={"next_due": due.isoformat(), "months": months(policy), "policy_version": policy.version, "clause": CLAUSE},
    )
    return due


def is_reminder_day(on: dt.date) -> bool:
    return on.day == 1


def remind(on: dt.date | None = None, policy=None) -> int:
    """Tells each owner how many of their customers' handbooks are overdue; returns the number
    of owners told."""
    from guanxi.accounts.models import User
    from guanxi.core.models import AuditEvent
    from guanxi.notifications.services import notify

    on = on or timezone.localdate()
    policy = policy_services.given_or_current(policy)
    if AuditEvent.objects.filter(event_type="customers.handbook_reminders_sent", data__on=on.isoformat()).exists():
        return 0  # already sent today (a job may run twice)
    counts = dict(
        Customer.objects.live()
        .filter(overdue_q(on, policy), owner__isnull=False)
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("pk"))
    )
    if not counts:
        return 0
    url = reverse("customers:list") + "?handbook=overdue"
    told = 0
    for owner in User.objects.filter(pk__in=counts, is_active=True):
        n = counts[owner.pk]
        title = ngettext(
            "The handbook of %(n)d customer is due for its update",
            "The handbooks of %(n)d customers are due for their update",
            n,
        ) % {"n": n}
        body = _("The policy asks for an update every %(months)d months (policy version %(version)s).") % {
            "months": months(policy),
            "version": policy.version,
        }
        told += notify([owner], kind="customers.handbook_due", title=title, body=body, url=url)
    audit.record(
        "customers.handbook_reminders_sent",
        data={
            "owners": told,
            "customers": sum(counts.values()),
            "on": on.isoformat(),
            "policy_version": policy.version,
            "clause": CLAUSE,
        },
    )
    return told


def panel_context(customer: Customer, user) -> dict | None:
    """The customer page's handbook panel (customers.panels): when it was last brought up to
    date and by whom, when the next update is due, and the button for those who may press it."""
    from guanxi.policy.sources import cite_clause

    if customer.filed_at is None:
        return None
    policy = policy_services.given_or_current()
    return {
        "last": last_update(customer),
        "by": customer.handbook_reviewed_by if customer.handbook_reviewed_at else None,
        "reviewed": customer.handbook_reviewed_at is not None,
        "due": due_date(customer, policy),
        "overdue": state(customer, policy=policy) == OVERDUE,
        "months": months(policy),
        "version": policy.version,
        "source": cite_clause(CLAUSE),
        "can_mark": can_mark(user, customer),
    }
