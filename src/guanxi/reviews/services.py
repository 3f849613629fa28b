"""Half-yearly reviews, incidents and downgrades (F-GRD-3, F-GRD-4).

Rules (seed 002 客户管理制度 §五.3.1–3.4, seed 000 客户资源(暂行)管理办法 §一.3):

- Review cycles 阶段评价 (§五.3.1–3.2). Time is cut into periods of
  `grading.review_interval_months` months (6 by default) counted from January. The daily job
  `reviews.open_due_cycles` opens, for every department (the top-most department of a branch; its
  sub-units included) and then every other unit still owning customers nobody reviews yet, the
  cycle of the period that has just ended. A manager may open the cycle of the running period
  for their unit by hand. A cycle inserts one review form 阶段评价表 per live customer of the unit
  and its sub-units in one INSERT … SELECT (no query per customer): the grade at opening, the
  scheme, and the incidents recorded in the period. A customer is reviewed once per period (a
  customer already covered by a sub-unit's cycle is left out). Cycle and forms record the policy
  version and the clause `grading.review_interval_months`.
- The owner fills in the form (contract performance, payment timeliness, credit, overall result,
  proposed grade, comment) and submits it to the approval flow `grading.review`: the department
  manager approves, then finance (结算中心) reviews. A form already submitted or approved cannot
  be submitted again. On final approval the proposed grade is applied through
  `grading.services.set_grade(..., source="review")`; a quota refusal there refuses the approval
  (the whole decision rolls back, the form stays waiting). A rejection sends the form back to
  the owner; withdrawing the request makes it editable again.
- Upgrades (§五.3.4): when the customer's last `grading.upgrade_after_good_reviews` approved
  reviews all had the result "good", the next higher regular level is suggested on the form and
  on the customer page; it is applied only through the review's approval.
- Incidents and downgrades (§五.3.3): a serious incident (late payment, contract breach, crisis,
  other) on a customer whose confirmed grade is above the scheme's lowest regular level opens a
  downgrade task due `grading.downgrade_within_days` calendar days after it is recorded,
  assigned to the department manager of the customer's unit (nearest unit up the tree holding
  the role). One open task per customer. The daily job `reviews.escalate_late_downgrades` marks
  late tasks escalated and notifies the assignee and the next level up (their supervisor, else
  the department manager of a higher unit, else the marketing directors). Completing a task sets
  the lower grade through `set_grade(..., source="downgrade")`.

Company blacklisting after a serious incident is a separate decision (guanxi.blacklist) and is
not proposed automatically here.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import OrgUnit, UnitKind
from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError, NotAllowed
from guanxi.customers.models import Customer

from . import grades
from .models import (
    CycleStatus,
    DowngradeTask,
    Incident,
    IncidentKind,
    Rating,
    Review,
    ReviewCycle,
    ReviewStatus,
    TaskStatus,
)

ACTION = "grading.review"
CLAUSE_INTERVAL = "grading.review_interval_months"
CLAUSE_DOWNGRADE = "grading.downgrade_within_days"
CLAUSE_UPGRADE = "grading.upgrade_after_good_reviews"


def _policy():
    from guanxi.policy import services as policy_services

    return policy_services.current()


def _version() -> int:
    return getattr(_policy(), "version", 0) or 0


def today() -> dt.date:
    return timezone.localdate()


# --------------------------------------------------------------------------- periods


def period_of(day: dt.date, months: int | None = None) -> tuple[dt.date, dt.date]:
    """The review period containing `day`: periods of `months` months counted from January."""
    months = months or _policy().grading.review_interval_months
    index = (day.year * 12 + day.month - 1) // months * months
    start = dt.date(index // 12, index % 12 + 1, 1)
    nxt = index + months
    return start, dt.date(nxt // 12, nxt % 12 + 1, 1) - dt.timedelta(days=1)


def previous_period(day: dt.date, months: int | None = None) -> tuple[dt.date, dt.date]:
    start, _end = period_of(day, months)
    return period_of(start - dt.timedelta(days=1), months)


# --------------------------------------------------------------------------- cycles


def _cycle_units_q(principal, level):
    from guanxi.accounts.models import DataScope

    if level in (DataScope.SELF, DataScope.SUBORDINATES):
        level = DataScope.UNIT
    return OrgUnit.unit_filter(principal, level)


def openable_units(user):
    """The active units `user` may open a review cycle for (their add scope on review cycles)."""
    from guanxi.accounts.access import principal_for

    principal = principal_for(user)
    level = principal.scope_level(ReviewCycle, "add") if principal else None
    units = OrgUnit.objects.filter(is_active=True)
    if level is None:
        return units.none()
    if level == "all":
        return units
    return units.filter(_cycle_units_q(principal, level))


def _covered(period_start: dt.date):
    return Review.objects.filter(customer=OuterRef("pk"), cycle__period_start=period_start)


def customers_to_review(unit: OrgUnit, period_start: dt.date, *, direct_only: bool = False):
    """Live customers of `unit` (and its sub-units unless direct_only) not yet reviewed for the period."""
    qs = Customer.objects.live()
    qs = qs.filter(unit=unit) if direct_only else qs.filter(unit__path__startswith=unit.path)
    return qs.exclude(Exists(_covered(period_start)))


def _insert_reviews(cycle: ReviewCycle, customers, now, version: int) -> int:
    """INSERT INTO review (...) SELECT ... FROM customer: one statement for the whole unit."""
    start, end = cycle.period_start, cycle.period_end
    in_period = Incident.objects.filter(customer=OuterRef("pk"), date__gte=start, date__lte=end).order_by().values("customer")
    n_incidents = Subquery(in_period.annotate(n=Count("pk")).values("n"), output_field=IntegerField())
    n_serious = Subquery(in_period.filter(serious=True).annotate(n=Count("pk")).values("n"), output_field=IntegerField())
    columns: dict[str, object] = {
        "cycle_id": Value(cycle.pk, output_field=IntegerField()),
        "customer_id": F("pk"),
        "owner_id": F("owner_id"),
        "unit_id": F("unit_id"),
        "scheme": Value(""),
        "current_level": Value(""),
        "incidents": Coalesce(n_incidents, Value(0)),
        "serious_incidents": Coalesce(n_serious, Value(0)),
        "contract_performance": Value(""),
        "payment_timeliness": Value(""),
        "credit": Value(""),
        "result": Value(""),
        "suggested_level": Value(""),
        "proposed_level": Value(""),
        "comment": Value(""),
        "status": Value(ReviewStatus.DRAFT.value),
        "created_at": Value(now, output_field=DateTimeField()),
        "applied_level": Value(""),
        "policy_version": Value(version, output_field=IntegerField()),
        "clause": Value(CLAUSE_INTERVAL),
    }
    grade = grades.grade_model()
    if grade is not None:
        row = grade.objects.filter(customer=OuterRef("pk"))
        columns["scheme"] = Coalesce(Subquery(row.values("scheme")[:1]), Value(""))
        columns["current_level"] = Coalesce(Subquery(row.values("level")[:1]), Value(""))
    aliases = {f"rv_{name}": expr for name, expr in columns.items()}
    select = customers.order_by().annotate(**aliases).values_list(*aliases)
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(Review._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(Review._meta.get_field(n.removesuffix("_id")).column) for n in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({cols}) {sql}", params)
        return max(cursor.rowcount, 0)


@transaction.atomic
def open_cycle(
    unit: OrgUnit,
    *,
    actor=None,
    period: tuple[dt.date, dt.date] | None = None,
    direct_only: bool = False,
    allow_empty: bool = False,
) -> ReviewCycle:
    """Opens the review cycle of `unit` for `period` (by hand: the running period) and creates
    the review forms of its customers in one statement."""
    if unit is None or not unit.is_active:
        raise DomainError(_("Choose an active unit."), field="unit")
    if actor is not None and not openable_units(actor).filter(pk=unit.pk).exists():
        raise NotAllowed(_("You may only open a review cycle for your own unit."), field="unit")
    start, end = period or period_of(today())
    if ReviewCycle.objects.filter(unit=unit, period_start=start).exists():
        raise Conflict(
            _("A review cycle of %(unit)s for the period from %(start)s already exists.") % {"unit": unit, "start": start},
            field="unit",
            code="cycle_exists",
        )
    customers = customers_to_review(unit, start, direct_only=direct_only)
    if not allow_empty and not customers.exists():
        raise DomainError(_("Every customer of %(unit)s already has a review form for this period, or it has none.") % {"unit": unit})
    version, now = _version(), timezone.now()
    cycle = ReviewCycle.objects.create(
        unit=unit, period_start=start, period_end=end, opened_by=actor, opened_at=now, policy_version=version, clause=CLAUSE_INTERVAL
    )
    count = _insert_reviews(cycle, customers, now, version)
    cycle.review_count = count
    cycle.save(update_fields=["review_count"])
    audit.record(
        "review.cycle_opened",
        subject=cycle,
        actor=actor,
        data={
            "unit": unit.pk,
            "period": [start.isoformat(), end.isoformat()],
            "reviews": count,
            "policy_version": version,
            "clause": CLAUSE_INTERVAL,
        },
    )
    return cycle


def open_due_cycles(on: dt.date | None = None) -> list[int]:
    """The periodic job: opens the cycles of the period that has just ended (see the module
    docstring); idempotent. Returns the ids of the cycles opened."""
    on = on or today()
    period = previous_period(on)
    opened: list[int] = []
    departments = OrgUnit.objects.filter(is_active=True, kind=UnitKind.DEPARTMENT).order_by("depth", "pk")
    for unit in departments:
        if ReviewCycle.objects.filter(unit=unit, period_start=period[0]).exists():
            continue
        if not customers_to_review(unit, period[0]).exists():
            continue
        opened.append(open_cycle(unit, period=period).pk)
    # Customers owned by units outside any department (e.g. the head office itself).
    rest = Customer.objects.live().exclude(Exists(_covered(period[0]))).order_by().values_list("unit_id", flat=True).distinct()
    for unit in OrgUnit.objects.filter(is_active=True, pk__in=list(rest)).order_by("depth", "pk"):
        if ReviewCycle.objects.filter(unit=unit, period_start=period[0]).exists():
            continue
        opened.append(open_cycle(unit, period=period, direct_only=True).pk)
    return opened


@transaction.atomic
def close_cycle(cycle: ReviewCycle, *, actor) -> ReviewCycle:
    if cycle.status == CycleStatus.CLOSED:
        raise Conflict(_("This review cycle is already closed."))
    waiting = cycle.reviews.filter(status=ReviewStatus.SUBMITTED).count()
    if waiting:
        raise DomainError(_("%(n)d review forms of this cycle are still waiting for approval.") % {"n": waiting})
    cycle.status = CycleStatus.CLOSED
    cycle.closed_at = timezone.now()
    cycle.save(update_fields=["status", "closed_at"])
    audit.record("review.cycle_closed", subject=cycle, actor=actor, data={"unit": cycle.unit_id})
    return cycle


# --------------------------------------------------------------------------- upgrade suggestion


def suggested_upgrade(customer, *, level: str | None = None, scheme=None) -> str:
    """The next higher regular level when the customer's last `upgrade_after_good_reviews`
    approved reviews were all "good"; "" otherwise."""
    needed = _policy().grading.upgrade_after_good_reviews
    if needed < 1:
        return ""
    level = grades.current_level(customer) if level is None else level
    if not level:
        return ""
    last = list(
        Review.objects.filter(customer=customer, status=ReviewStatus.APPROVED)
        .order_by("-cycle__period_start", "-id")
        .values_list("result", flat=True)[:needed]
    )
    if len(last) < needed or any(r != Rating.GOOD for r in last):
        return ""
    return grades.next_higher(scheme or grades.scheme_for(customer), level)


# --------------------------------------------------------------------------- review forms

EDITABLE_FIELDS = ("contract_performance", "payment_timeliness", "credit", "result", "proposed_level", "comment")
REQUIRED_ON_SUBMIT = ("contract_performance", "payment_timeliness", "credit", "result")


def _lock_review(review: Review) -> Review:
    return Review.objects.select_for_update(of=("self",)).select_related("customer", "cycle").get(pk=review.pk)


def _refuse_unless_editable(review: Review) -> None:
    if review.status == ReviewStatus.SUBMITTED:
        raise Conflict(_("This review has already been submitted and is waiting for approval."), code="already_submitted")
    if review.status == ReviewStatus.APPROVED:
        raise Conflict(_("This review has already been approved; it cannot be changed or submitted again."), code="already_approved")


def _check_level(review: Review, code: str, scheme) -> None:
    if code and code not in grades.codes(scheme):
        raise DomainError(
            _("“%(level)s” is not a level of the customer's grading scheme (%(levels)s).")
            % {"level": code, "levels": ", ".join(grades.codes(scheme))},
            field="proposed_level",
        )


@transaction.atomic
def update_review(review: Review, *, actor, data: dict) -> Review:
    """Saves what the owner filled in (only while the form is to be filled in or sent back)."""
    review = _lock_review(review)
    _refuse_unless_editable(review)
    scheme = grades.scheme_for(review.customer)
    ratings = {c for c, _label in Rating.choices}
    changed = {}
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        value = data[name] if data[name] is not None else ""
        value = value.strip() if isinstance(value, str) else value
        if name in ("contract_performance", "payment_timeliness", "credit", "result") and value not in ratings | {""}:
            raise DomainError(_("Choose good, fair or poor."), field=name)
        if name == "proposed_level":
            _check_level(review, value, scheme)
        if getattr(review, name) != value:
            changed[name] = value
            setattr(review, name, value)
    review.scheme = review.scheme or getattr(scheme, "code", "")
    review.suggested_level = suggested_upgrade(review.customer, scheme=scheme)
    review.save()
    audit.record("review.updated", subject=review, actor=actor, data={"fields": sorted(changed)})
    return review


@transaction.atomic
def submit_review(review: Review, *, actor, data: dict | None = None) -> Review:
    """Submits the filled-in form to the approval flow `grading.review` (department manager,
    then finance). Submitting again while it waits, or after approval, is refused."""
    from guanxi.approvals import services as approvals

    if data:
        update_review(review, actor=actor, data=data)
    review = _lock_review(review)
    _refuse_unless_editable(review)
    missing = [name for name in REQUIRED_ON_SUBMIT if not getattr(review, name)]
    if missing:
        labels = ", ".join(str(Review._meta.get_field(n).verbose_name) for n in missing)
        raise DomainError(_("Fill in before submitting: %(fields)s.") % {"fields": labels}, field=missing[0])
    scheme = grades.scheme_for(review.customer)
    _check_level(review, review.proposed_level, scheme)
    current = grades.current_level(review.customer)
    request = approvals.submit(
        ACTION,
        target=review,
        requester=actor,
        payload={
            "customer": review.customer.name,
            "period": f"{review.cycle.period_start:%Y-%m-%d} – {review.cycle.period_end:%Y-%m-%d}",
            "contract_performance": review.contract_performance,
            "payment_timeliness": review.payment_timeliness,
            "credit": review.credit,
            "result": review.result,
            "incidents": review.incidents,
            "current_level": current,
            "proposed_level": review.proposed_level,
            "suggested_level": review.suggested_level,
            "comment": review.comment,
        },
        title=_("Review of %(customer)s") % {"customer": review.customer.name},
    )
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = timezone.now()
    review.submitted_by = actor
    review.approval = request
    review.save(update_fields=["status", "submitted_at", "submitted_by", "approval"])
    audit.record("review.submitted", subject=review, actor=actor, data={"approval": request.pk, "proposed_level": review.proposed_level})
    return review


def _review_of(request) -> Review:
    review = Review.objects.select_for_update(of=("self",)).select_related("customer", "cycle").filter(pk=request.object_id).first()
    if review is None:
        raise DomainError(_("The review form of this request no longer exists."))
    return review


def apply_review(request) -> None:
    """Approval hook (final approval): applies the proposed grade; a quota refusal raises and
    rolls the approval back."""
    review = _review_of(request)
    if review.status != ReviewStatus.SUBMITTED:
        raise Conflict(_("This review is not waiting for approval."))
    actor = get_user_model().objects.filter(pk=request.decided_by_id).first()
    level = review.proposed_level
    applied = ""
    if level and level != grades.current_level(review.customer):
        reason = _("Periodic review %(start)s – %(end)s: %(comment)s") % {
            "start": review.cycle.period_start,
            "end": review.cycle.period_end,
            "comment": review.comment or review.get_result_display(),
        }
        grades.set_grade(review.customer, level, actor=actor, reason=reason, source="review", clause=CLAUSE_INTERVAL)
        applied = level
    review.status = ReviewStatus.APPROVED
    review.decided_at = timezone.now()
    review.applied_level = applied
    review.save(update_fields=["status", "decided_at", "applied_level"])
    audit.record("review.approved", subject=review, actor=actor, data={"approval": request.pk, "applied_level": applied})


def reject_review(request) -> None:
    review = _review_of(request)
    review.status = ReviewStatus.REJECTED
    review.decided_at = timezone.now()
    review.save(update_fields=["status", "decided_at"])
    audit.record("review.rejected", subject=review, actor_id=request.decided_by_id, data={"approval": request.pk})


def cancel_review(request) -> None:
    review = _review_of(request)
    review.status = ReviewStatus.DRAFT
    review.submitted_at = None
    review.save(update_fields=["status", "submitted_at"])


def describe_review(request) -> str:
    p = request.payload or {}
    return _("%(customer)s, %(period)s: result %(result)s, grade %(current)s → %(proposed)s") % {
        "customer": p.get("customer", ""),
        "period": p.get("period", ""),
        "result": p.get("result", ""),
        "current": p.get("current_level") or "—",
        "proposed": p.get("proposed_level") or p.get("current_level") or "—",
    }


# --------------------------------------------------------------------------- incidents


def department_manager_for(unit: OrgUnit | None) -> tuple[int | None, OrgUnit | None]:
    """The first department manager found in `unit`, then each unit above it."""
    from guanxi.approvals.services import role_holders

    if unit is None:
        return None, None
    chain = [unit.pk, *reversed(unit.ancestors_ids())]
    for unit_id in chain:
        holders = role_holders("department_manager", unit_id)
        if holders:
            return holders[0], OrgUnit.objects.get(pk=unit_id)
    return None, unit


@transaction.atomic
def record_incident(customer: Customer, *, actor, kind: str, serious: bool, date: dt.date | None, description: str) -> Incident:
    """Records an incident; a serious one may open a downgrade task (see the module docstring)."""
    if customer is None:
        raise DomainError(_("Choose a customer."), field="customer")
    if kind not in IncidentKind.values:
        raise DomainError(_("Choose the kind of incident."), field="kind")
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe what happened."), field="description")
    date = date or today()
    if date > today():
        raise DomainError(_("The date of an incident cannot be in the future."), field="date")
    incident = Incident.objects.create(
        customer=customer, kind=kind, serious=bool(serious), date=date, description=description, recorded_by=actor
    )
    audit.record("incident.recorded", subject=incident, actor=actor, data={"customer": customer.pk, "kind": kind, "serious": bool(serious)})
    if incident.serious:
        open_downgrade(incident)
    return incident


def open_downgrade(incident: Incident) -> DowngradeTask | None:
    """Opens the downgrade task of a serious incident when the customer's grade is above the
    scheme's lowest regular level and no task is open yet."""
    customer = incident.customer
    level = grades.current_level(customer)
    if not level:
        return None
    scheme = grades.scheme_for(customer)
    if scheme is None or not grades.is_above_lowest_regular(scheme, level):
        return None
    if DowngradeTask.objects.filter(customer=customer, status=TaskStatus.OPEN).exists():
        return None
    days = _policy().grading.downgrade_within_days
    assignee_id, unit = department_manager_for(customer.unit)
    task = DowngradeTask.objects.create(
        customer=customer,
        incident=incident,
        assignee_id=assignee_id,
        unit=unit,
        from_level=level,
        to_level=grades.next_lower(scheme, level),
        due_date=today() + dt.timedelta(days=days),
        policy_version=_version(),
        clause=CLAUSE_DOWNGRADE,
    )
    audit.record(
        "downgrade.opened",
        subject=task,
        data={"customer": customer.pk, "incident": incident.pk, "due": task.due_date, "days": days, "clause": CLAUSE_DOWNGRADE},
    )
    if assignee_id:
        from guanxi.notifications.services import notify

        notify(
            get_user_model().objects.filter(pk=assignee_id),
            kind="reviews.downgrade_opened",
            title=_("Downgrade %(customer)s by %(due)s") % {"customer": customer.name, "due": task.due_date},
            body=incident.description,
            url=task.get_absolute_url(),
            subject=task,
        )
    return task


def next_level_up(task: DowngradeTask) -> list[int]:
    """Who is told, besides the assignee, when a task is late."""
    from guanxi.approvals.services import role_holders, supervisor_of

    exclude = {task.assignee_id}
    if task.assignee_id:
        boss = supervisor_of(task.assignee_id)
        if boss and boss not in exclude:
            return [boss]
    unit = task.unit or task.customer.unit
    above = list(reversed(unit.ancestors_ids())) if task.assignee_id else [unit.pk, *reversed(unit.ancestors_ids())]
    for unit_id in above:
        holders = [u for u in role_holders("department_manager", unit_id) if u not in exclude]
        if holders:
            return holders
    for role in ("marketing_director", "general_manager"):
        holders = [u for u in role_holders(role) if u not in exclude]
        if holders:
            return holders
    return []


def escalate_late_downgrades(on: dt.date | None = None) -> list[int]:
    """Marks open tasks past their due date escalated (once) and notifies; returns their ids."""
    on = on or today()
    done = []
    for pk in DowngradeTask.objects.filter(status=TaskStatus.OPEN, due_date__lt=on, escalated_at__isnull=True).values_list("pk", flat=True):
        if _escalate(pk, on):
            done.append(pk)
    return done


@transaction.atomic
def _escalate(pk: int, on: dt.date) -> bool:
    from guanxi.notifications.services import notify

    task = DowngradeTask.objects.select_for_update(of=("self",)).select_related("customer", "customer__unit", "unit").get(pk=pk)
    if task.status != TaskStatus.OPEN or task.escalated_at is not None or task.due_date >= on:
        return False
    task.escalated_at = timezone.now()
    task.save(update_fields=["escalated_at"])
    above = next_level_up(task)
    recipients = [u for u in [task.assignee_id, *above] if u]
    notify(
        get_user_model().objects.filter(pk__in=recipients),
        kind="reviews.downgrade_late",
        title=_("Late: downgrade of %(customer)s was due on %(due)s") % {"customer": task.customer.name, "due": task.due_date},
        body=_("The customer must be downgraded within %(days)s days of a serious incident.")
        % {"days": _policy().grading.downgrade_within_days},
        url=task.get_absolute_url(),
        subject=task,
    )
    audit.record("downgrade.escalated", subject=task, data={"due": task.due_date, "notified": recipients})
    return True


@transaction.atomic
def complete_downgrade(task: DowngradeTask, *, actor, level: str = "", note: str = "") -> DowngradeTask:
    """Sets the lower grade (the task's proposal unless another lower level is chosen)."""
    task = DowngradeTask.objects.select_for_update(of=("self",)).select_related("customer").get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("This downgrade task is already closed."), code="closed")
    customer = task.customer
    scheme = grades.scheme_for(customer)
    current = grades.current_level(customer)
    level = (level or task.to_level or "").strip()
    if not level or level not in grades.codes(scheme):
        raise DomainError(_("Choose the lower grade to set."), field="level")
    if not grades.is_lower(scheme, level, current):
        raise DomainError(
            _("%(level)s is not lower than the current grade %(current)s.") % {"level": level, "current": current or "—"}, field="level"
        )
    reason = note.strip() or _("Serious incident on %(date)s: %(text)s") % {"date": task.incident.date, "text": task.incident.description}
    grades.set_grade(customer, level, actor=actor, reason=reason, source="downgrade", clause=CLAUSE_DOWNGRADE)
    task.status = TaskStatus.DONE
    task.applied_level = level
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.note = note.strip()
    task.save(update_fields=["status", "applied_level", "completed_at", "completed_by", "note"])
    audit.record("downgrade.completed", subject=task, actor=actor, data={"from": current, "to": level, "late": task.is_late()})
    return task


@transaction.atomic
def cancel_downgrade(task: DowngradeTask, *, actor, note: str) -> DowngradeTask:
    """Closes a task without downgrading (e.g. the incident turned out to be a mistake)."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Give a reason for closing the task without a downgrade."), field="note")
    task = DowngradeTask.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("This downgrade task is already closed."), code="closed")
    task.status = TaskStatus.CANCELLED
    task.completed_at = timezone.now()
    task.completed_by = actor
    task.note = note
    task.save(update_fields=["status", "completed_at", "completed_by", "note"])
    audit.record("downgrade.cancelled", subject=task, actor=actor, data={"note": note})
    return task
