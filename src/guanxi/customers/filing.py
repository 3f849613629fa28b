"""Filing 备案 (F-CUS-4) and the weekly check of new records (F-CUS-5, seed 001 §5.1.1).

- A new customer must be filed within `deadlines.filing_working_days` Chinese working days of
  the first contact (seed 002 §1.4 1): `on_created()` sets the first-contact date (today in
  Asia/Shanghai when unknown) and the filing deadline.
- The archivist files it (`file_customer`, audited `customer.filed` with the policy version and
  clause). A later change of a filed record's key fields (`customers.change_report_fields`)
  must be reported within `deadlines.change_report_working_days` (`on_changed()`); filing the
  record again records the report.
- Status: filed / due / late for the filing, change_due / change_late for a pending change
  report (`filing_status()` for one record, `with_filing_status()` for a queryset).
- `is_unfiled()` / `unfiled_q()`: later features (expenses, sales credit) refuse or reassign
  unfiled customers (seed 000 §二.4, seed 002 §1.8).
- `weekly_check()`: new records of the past week that are incomplete are sent back to their
  unit as ReturnTasks — one open task per customer at most.
- `send_back()`: the archivist sends a record back by hand, with a note: an incomplete one
  (reason INCOMPLETE, resolved when the record is complete) or one not filed to the standard
  (reason IRREGULAR: a wrong category, a made-up name…). The owner is notified.
  `resolve_task()`: the unit (anyone who may change the record) or the archivist marks the
  task corrected; an incomplete record's task only once it is complete, unless the archivist
  closes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core import audit
from guanxi.core.errors import DomainError, NotAllowed
from guanxi.core.workdays import add_workdays, workdays_between
from guanxi.policy import services as policy_services

from . import completeness
from .models import Customer, ReturnReason, ReturnTask

FILING_CLAUSE = "deadlines.filing_working_days"
CHANGE_CLAUSE = "deadlines.change_report_working_days"
CHANGE_FIELDS_CLAUSE = "customers.change_report_fields"
CHECK_CLAUSE = "deadlines.completeness_check_weekday"
ARCHIVE_PERMISSION = "customers.archive_customer"
NOTE_MAX_LENGTH = 2000

FILED, DUE, LATE, CHANGE_DUE, CHANGE_LATE = "filed", "due", "late", "change_due", "change_late"
STATUS_LABELS = {
    FILED: _("Filed"),
    DUE: _("Filing due"),
    LATE: _("Filing late"),
    CHANGE_DUE: _("Change report due"),
    CHANGE_LATE: _("Change report late"),
}
# Filter groups of the archivist queue: a status or a group of statuses.
STATUS_GROUPS = {
    FILED: (FILED,),
    DUE: (DUE, CHANGE_DUE),
    LATE: (LATE, CHANGE_LATE),
    CHANGE_DUE: (CHANGE_DUE,),
    CHANGE_LATE: (CHANGE_LATE,),
    "unfiled": (DUE, LATE),
    "open": (DUE, LATE, CHANGE_DUE, CHANGE_LATE),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def today() -> dt.date:
    """Today in the site's time zone (Asia/Shanghai)."""
    return timezone.localdate()


# ---------------------------------------------------------------- deadlines


def filing_deadline_for(first_contact: dt.date, *, policy=None) -> dt.date:
    return add_workdays(first_contact, policy_services.given_or_current(policy).deadlines.filing_working_days)


def change_report_deadline_for(changed_on: dt.date, *, policy=None) -> dt.date:
    return add_workdays(changed_on, policy_services.given_or_current(policy).deadlines.change_report_working_days)


def on_created(customer: Customer, *, policy=None, save: bool = True) -> dt.date:
    """Sets the first-contact date (today when unknown) and the filing deadline of a new
    record; returns the deadline. Stored without a new version: the values follow from the
    record and the policy. Importers may call it with save=False and bulk-save themselves."""
    policy = policy_services.given_or_current(policy)
    if customer.first_contact_date is None:
        customer.first_contact_date = today()
    customer.filing_deadline = filing_deadline_for(customer.first_contact_date, policy=policy)
    if save and customer.pk:
        Customer.objects.filter(pk=customer.pk).update(
            first_contact_date=customer.first_contact_date, filing_deadline=customer.filing_deadline
        )
    return customer.filing_deadline


def on_changed(customer: Customer, changed_fields: Iterable[str], *, policy=None) -> dt.date | None:
    """After an update: when a filed record's key fields changed and no change report is
    pending, the change-report deadline starts (audited with the policy version and clause).
    A changed first-contact date of an unfiled record moves its filing deadline. Returns the
    change-report deadline set, else None."""
    policy = policy_services.given_or_current(policy)
    changed = set(changed_fields)
    if customer.filed_at is None:
        if "first_contact_date" in changed and customer.first_contact_date:
            on_created(customer, policy=policy)
        return None
    key_fields = changed & set(policy.customers.change_report_fields)
    if not key_fields or customer.change_report_deadline is not None:
        return None
    deadline = change_report_deadline_for(today(), policy=policy)
    customer.change_report_deadline = deadline
    Customer.objects.filter(pk=customer.pk).update(change_report_deadline=deadline)
    audit.record(
        "customer.change_report_due",
        subject=customer,
        data={
            "fields": sorted(key_fields),
            "deadline": deadline.isoformat(),
            "policy_version": policy.version,
            "clause": CHANGE_CLAUSE,
        },
    )
    return deadline


# ---------------------------------------------------------------- status


def is_unfiled(customer: Customer) -> bool:
    """True while the customer has not been filed: its expenses are not reimbursable and its
    sales credit goes to the department (seed 000 §二.4, seed 002 §1.8)."""
    return customer.filed_at is None


def unfiled_q(prefix: str = "") -> Q:
    """Q selecting unfiled customers; `prefix` for a related path, e.g. "customer__"."""
    return Q(**{f"{prefix}filed_at__isnull": True})


def filing_status(customer: Customer, on: dt.date | None = None) -> str:
    on = on or today()
    if customer.filed_at is None:
        if customer.filing_deadline is not None and on > customer.filing_deadline:
            return LATE
        return DUE
    if customer.change_report_deadline is not None:
        return CHANGE_LATE if on > customer.change_report_deadline else CHANGE_DUE
    return FILED


def status(customer: Customer, on: dt.date | None = None) -> str:
    """filed / due / late of the filing alone (a pending change report shows on the panel and
    in the archivist queue): used by the customer list's badge."""
    state = filing_status(customer, on)
    return FILED if state in (CHANGE_DUE, CHANGE_LATE) else state


def status_q(state: str, on: dt.date | None = None) -> Q | None:
    """Q for the customer list's filing filter: filed (whether or not a change report is
    pending), due, late; also change_due, change_late, open. None for an unknown state."""
    if state == FILED:
        return Q(filed_at__isnull=False)
    if state in (DUE, LATE):
        return _status_q(on or today())[state]
    if state in STATUS_GROUPS:
        return status_filter(state, on)
    return None


def current_deadline(customer: Customer) -> dt.date | None:
    """The deadline that matters now: filing while unfiled, else a pending change report."""
    return customer.filing_deadline if customer.filed_at is None else customer.change_report_deadline


def working_days_left(customer: Customer, on: dt.date | None = None) -> int | None:
    """Working days from `on` until the current deadline (0 on the day, negative when late)."""
    deadline = current_deadline(customer)
    if deadline is None:
        return None
    return workdays_between(on or today(), deadline)


def _status_q(on: dt.date) -> dict[str, Q]:
    unfiled = Q(filed_at__isnull=True)
    filed = Q(filed_at__isnull=False)
    return {
        LATE: unfiled & Q(filing_deadline__lt=on),
        DUE: unfiled & (Q(filing_deadline__gte=on) | Q(filing_deadline__isnull=True)),
        CHANGE_LATE: filed & Q(change_report_deadline__lt=on),
        CHANGE_DUE: filed & Q(change_report_deadline__gte=on),
        FILED: filed & Q(change_report_deadline__isnull=True),
    }


def status_filter(statuses: str | Iterable[str], on: dt.date | None = None) -> Q:
    """Q for a status, a group (due = due + change_due, late = late + change_late, unfiled,
    open) or several; unknown names select nothing."""
    conds = _status_q(on or today())
    names = [statuses] if isinstance(statuses, str) else list(statuses)
    q = Q(pk__in=[])
    for name in names:
        for status in STATUS_GROUPS.get(name, ()):
            q |= conds[status]
    return q


def with_filing_status(queryset, on: dt.date | None = None, status: str | Iterable[str] | None = None):
    """Annotates `filing_status` (and `current_deadline`) on a customer queryset; with `status`
    also filters on it (through the indexed columns, not the annotation)."""
    on = on or today()
    conds = _status_q(on)
    qs = queryset.annotate(
        filing_status=Case(
            *(When(conds[s], then=Value(s)) for s in (LATE, DUE, CHANGE_LATE, CHANGE_DUE, FILED)),
            default=Value(DUE),
            output_field=CharField(),
        ),
    )
    if status:
        qs = qs.filter(status_filter(status, on))
    return qs


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# ---------------------------------------------------------------- filing


def can_archive(user, customer: Customer | None = None) -> bool:
    if user is None or not user.has_perm(ARCHIVE_PERMISSION):
        return False
    if customer is None:
        return True
    return Customer.objects.restrict(user, "archive").filter(pk=customer.pk).exists()


@transaction.atomic
def file_customer(customer: Customer, *, actor) -> Customer:
    """The archivist files the record (or records the change report of a filed one)."""
    if not can_archive(actor, customer):
        raise NotAllowed(_("You may not file this customer."))
    policy = policy_services.given_or_current()
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.merged_into_id:
        raise DomainError(_("This customer was merged into another record."), code="merged")
    on = today()
    status = filing_status(locked, on)
    if status == FILED:
        raise DomainError(_("This customer is already filed."), code="already_filed")
    now = timezone.now()
    data = {"status_before": status, "completeness": locked.completeness, "missing_fields": list(locked.missing_fields or [])}
    if locked.filed_at is None:
        event, clause = "customer.filed", FILING_CLAUSE
        data.update(
            first_contact_date=locked.first_contact_date.isoformat() if locked.first_contact_date else None,
            deadline=locked.filing_deadline.isoformat() if locked.filing_deadline else None,
            late=status == LATE,
            working_days_late=max(0, workdays_between(locked.filing_deadline, on)) if locked.filing_deadline else 0,
        )
        locked.filed_at = now
    else:
        event, clause = "customer.change_reported", CHANGE_CLAUSE
        data.update(deadline=locked.change_report_deadline.isoformat(), late=status == CHANGE_LATE)
        locked.change_report_deadline = None
    locked.version += 1
    locked.save(update_fields=["filed_at", "change_report_deadline", "version", "updated_at"])
    audit.record(event, subject=locked, actor=actor, data={**data, "policy_version": policy.version, "clause": clause})
    for name in ("filed_at", "change_report_deadline", "version"):
        setattr(customer, name, getattr(locked, name))
    return locked


# ---------------------------------------------------------------- weekly check


def is_check_day(on: dt.date | None = None, *, policy=None) -> bool:
    on = on or today()
    return WEEKDAYS[on.weekday()] == policy_services.given_or_current(policy).deadlines.completeness_check_weekday


@transaction.atomic
def weekly_check(on: dt.date | None = None, *, days: int = 7, policy=None) -> int:
    """Sends the incomplete records created in the `days` before `on` back to their unit: one
    ReturnTask each, unless one is already open. Completeness is recomputed first (the policy
    may have changed). Returns the number of tasks created; safe to run again."""
    policy = policy_services.given_or_current(policy)
    on = on or today()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(on - dt.timedelta(days=days), dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(on, dt.time.min), tz)
    new = Customer.objects.live().filter(created_at__gte=start, created_at__lt=end)
    completeness.refresh_queryset(new, policy=policy)
    open_task = ReturnTask.objects.filter(customer=OuterRef("pk"), resolved_at__isnull=True)
    candidates = list(new.filter(completeness__lt=100).filter(~Exists(open_task)).values_list("pk", "unit_id", "missing_fields"))
    for pk, unit_id, missing in candidates:
        ReturnTask.objects.create(
            customer_id=pk,
            unit_id=unit_id,
            reason=ReturnReason.INCOMPLETE,
            missing_fields=list(missing or []),
            policy_version=policy.version,
            clause=CHECK_CLAUSE,
        )
    audit.record(
        "customer.weekly_check",
        data={
            "from": (on - dt.timedelta(days=days)).isoformat(),
            "to": on.isoformat(),
            "returned": len(candidates),
            "policy_version": policy.version,
            "clause": CHECK_CLAUSE,
        },
    )
    return len(candidates)


def open_tasks(customer: Customer):
    return customer.return_tasks.filter(resolved_at__isnull=True).order_by("-created_at")


# ---------------------------------------------------------------- sending back by hand


def can_resolve(user, task: ReturnTask, *, archivist: bool | None = None) -> bool:
    """Who may mark an open task corrected: the archivist of the record's scope, or anyone who
    may change the record (its unit). An incomplete record's task waits for the record to be
    complete unless the archivist closes it. `archivist`: `can_archive(user, task.customer)`
    when the caller knows it already."""
    return _resolve_refusal(user, task, archivist=archivist) is None


def _resolve_refusal(user, task: ReturnTask, *, archivist: bool | None = None) -> str | None:
    """None when `user` may resolve `task`, else why not: "no_permission" or "still_incomplete"."""
    if user is None or not getattr(user, "is_authenticated", False) or task.resolved_at is not None:
        return "no_permission"
    if archivist is None:
        archivist = can_archive(user, task.customer)
    if archivist:
        return None
    if not Customer.objects.restrict(user, "change").filter(pk=task.customer_id).exists():
        return "no_permission"
    if task.reason == ReturnReason.INCOMPLETE and task.customer.missing_fields:
        return "still_incomplete"
    return None


def _notify(recipients, *, kind: str, title, body: str, customer: Customer) -> None:
    from guanxi.notifications.services import notify

    notify(recipients, kind=kind, title=title, body=body, url=customer.get_absolute_url(), subject=customer)


@transaction.atomic
def send_back(customer: Customer, *, actor, note: str) -> ReturnTask:
    """The archivist sends the record back to its unit by hand (seed 001 §5.1.1): reason
    INCOMPLETE while required fields are missing (resolved once they are filled in), else
    IRREGULAR (resolved when the unit marks it corrected). Audited `customer.sent_back`; the
    owner is notified."""
    if not can_archive(actor, customer):
        raise NotAllowed(_("You may not send this customer back."))
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Say what the unit must correct."), field="note", code="note_required")
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            _("The note is too long (at most %(max)d characters).") % {"max": NOTE_MAX_LENGTH},
            field="note",
            code="note_too_long",
        )
    policy = policy_services.given_or_current()
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.merged_into_id:
        raise DomainError(_("This customer was merged into another record."), code="merged")
    already = _("This customer has already been sent back and is not corrected yet.")
    if ReturnTask.objects.filter(customer=locked, resolved_at__isnull=True).exists():
        raise DomainError(already, code="already_sent_back")
    score, missing = completeness.refresh(locked, policy=policy)
    reason = ReturnReason.INCOMPLETE if score < 100 else ReturnReason.IRREGULAR
    try:
        with transaction.atomic():  # the one-open-task constraint settles a race with the weekly check
            task = ReturnTask.objects.create(
                customer=locked,
                unit_id=locked.unit_id,
                reason=reason,
                missing_fields=list(missing) if reason == ReturnReason.INCOMPLETE else [],
                note=note,
                created_by=actor,
                policy_version=policy.version,
                clause=CHECK_CLAUSE,
            )
    except IntegrityError as exc:
        raise DomainError(already, code="already_sent_back") from exc
    audit.record(
        "customer.sent_back",
        subject=locked,
        actor=actor,
        data={
            "task": task.pk,
            "note": note,
            "unit": locked.unit_id,
            "reason": reason.value,
            "missing": list(task.missing_fields),
            "policy_version": policy.version,
            "clause": CHECK_CLAUSE,
        },
    )
    if locked.owner_id and locked.owner_id != actor.pk:
        _notify(
            [locked.owner],
            kind="customer.sent_back",
            title=_("Customer record sent back: %(customer)s") % {"customer": locked.name},
            body=note,
            customer=locked,
        )
    customer.completeness, customer.missing_fields = locked.completeness, locked.missing_fields
    return task


@transaction.atomic
def resolve_task(task: ReturnTask, *, actor) -> ReturnTask:
    """Marks an open return task corrected (by the record's unit or the archivist); audited
    `customer.return_resolved`; the archivist who sent it back is told."""
    locked = ReturnTask.objects.select_for_update().select_related("customer").get(pk=task.pk)
    if locked.resolved_at is not None:
        raise DomainError(_("This return task is already resolved."), code="already_resolved")
    refusal = _resolve_refusal(actor, locked)
    if refusal == "still_incomplete":
        raise DomainError(_("The record is still incomplete: fill in the missing fields first."), code="still_incomplete")
    if refusal is not None:
        raise NotAllowed(_("You may not resolve this return task."))
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    locked.save(update_fields=["resolved_at", "resolved_by"])
    customer = locked.customer
    audit.record(
        "customer.return_resolved",
        subject=customer,
        actor=actor,
        data={"task": locked.pk, "reason": locked.reason, "unit": locked.unit_id, "note": locked.note},
    )
    if locked.created_by_id and locked.created_by_id != actor.pk:
        _notify(
            [locked.created_by],
            kind="customer.return_resolved",
            title=_("Sent-back record corrected: %(customer)s") % {"customer": customer.name},
            body=locked.note,
            customer=customer,
        )
    task.resolved_at, task.resolved_by = locked.resolved_at, locked.resolved_by
    return locked


__all__ = [
    "CHANGE_DUE",
    "CHANGE_LATE",
    "DUE",
    "FILED",
    "LATE",
    "can_archive",
    "file_customer",
    "filing_status",
    "is_unfiled",
    "on_changed",
    "on_created",
    "resolve_task",
    "send_back",
    "status",
    "status_filter",
    "status_q",
    "unfiled_q",
    "weekly_check",
    "with_filing_status",
    "working_days_left",
]
