"""Read side of reviews: list querysets, the customer panel, timeline items and the annual
classification table 客户分类表."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.customers.models import Customer

from . import grades
from .models import PENDING_STATUSES, DowngradeTask, Incident, Review, ReviewCycle, ReviewStatus, TaskStatus


def reviews(user, action: str = "view"):
    return Review.objects.restrict(user, action).select_related("customer", "cycle", "cycle__unit", "owner", "unit")


def pending_reviews(user, action: str = "view"):
    return reviews(user, action).filter(status__in=PENDING_STATUSES)


def incidents(user, action: str = "view"):
    return Incident.objects.restrict(user, action).select_related("customer", "recorded_by")


def downgrade_tasks(user, action: str = "view"):
    return DowngradeTask.objects.restrict(user, action).select_related("customer", "assignee", "incident", "unit")


def cycles(user, action: str = "view"):
    return ReviewCycle.objects.restrict(user, action).select_related("unit", "opened_by")


def cycle_counts(cycle: ReviewCycle) -> dict[str, int]:
    rows = cycle.reviews.order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(ReviewStatus.values, 0)
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


# --------------------------------------------------------------------------- customer page


def panel_context(customer, user) -> dict | None:
    """The customer page's review panel: open downgrade task, last review, upgrade suggestion,
    recent incidents; None when the user may see none of it."""
    if not (user.has_perm("reviews.view_review") or user.has_perm("reviews.view_incident") or user.has_perm("reviews.view_downgradetask")):
        return None
    from . import services

    task = DowngradeTask.objects.restrict(user, "view").filter(customer=customer, status=TaskStatus.OPEN).select_related("assignee").first()
    review = (
        Review.objects.restrict(user, "view")
        .filter(customer=customer)
        .select_related("cycle")
        .order_by("-cycle__period_start", "-id")
        .first()
    )
    recent = list(Incident.objects.restrict(user, "view").filter(customer=customer).order_by("-date", "-id")[:3])
    try:
        scheme = grades.scheme_for(customer)
        level = grades.current_level(customer)
        suggestion = services.suggested_upgrade(customer, level=level, scheme=scheme)
    except Exception:  # grading not ready: the panel still shows tasks and incidents
        scheme, level, suggestion = None, "", ""
    if task is None and review is None and not recent and not suggestion:
        can_add = user.has_perm("reviews.add_incident")
        if not can_add:
            return None
    return {
        "task": task,
        "task_late": task.is_late() if task else False,
        "review": review,
        "incidents": recent,
        "suggestion": grades.label(scheme, suggestion) if suggestion else "",
        "level": grades.label(scheme, level) if level else "",
        "can_add_incident": user.has_perm("reviews.add_incident"),
    }


def timeline_items(customer, *, user=None, limit: int = 50):
    from guanxi.customers.timeline import TimelineItem

    items = []
    if user is None or user.has_perm("reviews.view_incident"):
        for i in Incident.objects.filter(customer=customer).select_related("recorded_by").order_by("-date", "-id")[:limit]:
            title = _("Serious incident: %(kind)s") if i.serious else _("Incident: %(kind)s")
            items.append(
                TimelineItem(
                    i.created_at,
                    "incident",
                    title % {"kind": i.get_kind_display()},
                    i.description,
                    url=i.get_absolute_url(),
                    actor=str(i.recorded_by or ""),
                    icon="ti-alert-triangle",
                )
            )
    if user is None or user.has_perm("reviews.view_downgradetask"):
        for t in DowngradeTask.objects.filter(customer=customer).select_related("completed_by").order_by("-id")[:limit]:
            items.append(
                TimelineItem(
                    t.created_at,
                    "downgrade",
                    _("Downgrade task opened, due %(due)s") % {"due": t.due_date},
                    url=t.get_absolute_url(),
                    icon="ti-trending-down",
                )
            )
            if t.completed_at:
                title = (
                    _("Downgraded to %(level)s") % {"level": t.applied_level}
                    if t.status == TaskStatus.DONE
                    else _("Downgrade task closed without a downgrade")
                )
                items.append(
                    TimelineItem(
                        t.completed_at,
                        "downgrade",
                        title,
                        t.note,
                        url=t.get_absolute_url(),
                        actor=str(t.completed_by or ""),
                        icon="ti-trending-down",
                    )
                )
    if user is None or user.has_perm("reviews.view_review"):
        decided = Review.objects.filter(customer=customer, decided_at__isnull=False).select_related("cycle").order_by("-decided_at")[:limit]
        for r in decided:
            items.append(
                TimelineItem(
                    r.decided_at,
                    "review",
                    _("Periodic review %(period)s: %(status)s")
                    % {"period": f"{r.cycle.period_start:%Y-%m}", "status": r.get_status_display()},
                    (_("Result: %(result)s") % {"result": r.get_result_display()}) if r.result else "",
                    url=r.get_absolute_url(),
                    icon="ti-clipboard-check",
                )
            )
    return items


# --------------------------------------------------------------------------- classification table


def _levels_at(customers, moment: dt.datetime) -> dict[int, str]:
    """Confirmed level of each customer at `moment`: the current grade when the moment is now or
    later, else the last logged change (grading.GradeChange) up to it."""
    model = grades.grade_model()
    if model is None:
        return {}
    ids = customers.values("pk")
    if moment >= timezone.now():
        return dict(model.objects.filter(customer_id__in=ids).values_list("customer_id", "level"))
    try:
        from django.apps import apps

        changes = apps.get_model("grading", "GradeChange")
    except LookupError:
        return {}
    rows = changes.objects.filter(customer_id__in=ids, at__lte=moment).order_by("customer_id", "-at", "-id")
    out: dict[int, str] = {}
    for customer_id, level in rows.values_list("customer_id", "to_level").iterator(chunk_size=5000):
        out.setdefault(customer_id, level)
    return out


def classification_rows(user, year: int):
    """Rows of the annual classification table for every customer of `user`'s export scope:
    name, owner, unit, category, grade at the end of `year`, and each review of that year."""
    months = _policy_interval()
    slots = max(1, 12 // months)
    customers = Customer.objects.live().restrict(user, "export").select_related("owner", "unit").order_by("unit__name", "name", "pk")
    end = timezone.make_aware(dt.datetime(year, 12, 31, 23, 59, 59))
    levels = _levels_at(customers, end)
    reviews_by_customer: dict[int, list[Review]] = {}
    year_reviews = (
        Review.objects.filter(customer__in=customers.values("pk"), cycle__period_start__year=year)
        .select_related("cycle")
        .order_by("customer_id", "cycle__period_start")
    )
    for r in year_reviews.iterator(chunk_size=5000):
        reviews_by_customer.setdefault(r.customer_id, []).append(r)
    header = [_("Customer"), _("Category"), _("Owner"), _("Unit"), _("Grade at year end")]
    for n in range(1, slots + 1):
        header += [
            _("Review %(n)d period") % {"n": n},
            _("Review %(n)d result") % {"n": n},
            _("Review %(n)d status") % {"n": n},
            _("Review %(n)d grade applied") % {"n": n},
        ]

    def rows():
        for c in customers.iterator(chunk_size=2000):
            row = [
                c.name,
                c.get_category_display(),
                (c.owner.full_name or c.owner.username) if c.owner_id else "",
                c.unit.name if c.unit_id else "",
                levels.get(c.pk, ""),
            ]
            rs = reviews_by_customer.get(c.pk, [])[:slots]
            for r in rs:
                row += [
                    f"{r.cycle.period_start:%Y-%m-%d} – {r.cycle.period_end:%Y-%m-%d}",
                    r.get_result_display(),
                    r.get_status_display(),
                    r.applied_level,
                ]
            row += [""] * (4 * (slots - len(rs)))
            yield row

    return header, rows()


def _policy_interval() -> int:
    from guanxi.policy import services as policy_services

    return policy_services.current().grading.review_interval_months


def open_tasks_q():
    return Q(status=TaskStatus.OPEN)
