"""The archivist work queue 档案工作台 (F-CUS-4, F-CUS-5): records of the archivist's scope that
need filing, a change report or completing, with the "mark filed" and "send back" actions; and
"mark corrected" of a return task (the record's unit or the archivist).

Permission `customers.archive_customer` (403 without it); records through
`Customer.objects.restrict(user, "archive")` (out of scope → 404). Marking a task corrected
needs the archive or the change permission, and the record in that scope. Pagination fetches
one row more than a page instead of counting the table.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Case, DateField, Exists, F, OuterRef, Prefetch, Q, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from guanxi.core.errors import DomainError
from guanxi.core.generic import ScopedMixin
from guanxi.core.next_url import same_site
from guanxi.core.querysets import permission_code

from . import completeness, filing, handbook_review, send_back_draft
from .models import Customer, ReturnTask

PAGE_SIZE = 50
FILTERS = {
    "open": gettext_lazy("Needs work"),
    "due": gettext_lazy("Due"),
    "late": gettext_lazy("Late"),
    "incomplete": gettext_lazy("Incomplete"),
    "returned": gettext_lazy("Sent back"),
    "handbook": gettext_lazy("Handbook overdue"),
    "all": gettext_lazy("All"),
}
SORTS = {
    "deadline": ("deadline", gettext_lazy("Deadline")),
    "completeness": ("completeness", gettext_lazy("Completeness")),
}
STATUS_CSS = {
    filing.FILED: "bg-green-lt",
    filing.DUE: "bg-yellow-lt",
    filing.LATE: "bg-red-lt",
    filing.CHANGE_DUE: "bg-orange-lt",
    filing.CHANGE_LATE: "bg-red-lt",
}


def _open_tasks():
    return ReturnTask.objects.filter(resolved_at__isnull=True)


def queue_queryset(user, *, state: str = "open", sort: str = "deadline", on=None):
    """The queue's rows for `user`: scoped, filtered and sorted (also used by tests)."""
    on = on or filing.today()
    qs = Customer.objects.live().restrict(user, "archive")
    open_task = _open_tasks().filter(customer=OuterRef("pk"))
    if state == "open":
        qs = qs.filter(filing.status_filter("open", on) | Q(completeness__lt=100) | Exists(open_task))
    elif state in ("due", "late"):
        qs = qs.filter(filing.status_filter(state, on))
    elif state == "incomplete":
        qs = qs.filter(completeness__lt=100)
    elif state == "returned":
        qs = qs.filter(Exists(open_task))
    elif state == "handbook":
        qs = qs.filter(handbook_review.overdue_q(on))
    qs = filing.with_filing_status(qs, on).annotate(
        deadline=Case(When(filed_at__isnull=True, then=F("filing_deadline")), default=F("change_report_deadline"), output_field=DateField())
    )
    key = sort.lstrip("-")
    field = SORTS.get(key, SORTS["deadline"])[0]
    order = F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
    return qs.select_related("owner", "unit").order_by(order, "pk")


class ArchiveQueueView(ScopedMixin, TemplateView):
    model = Customer
    action = "archive"
    template_name = "customers/filing/queue.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        state = self.request.GET.get("state", "open")
        state = state if state in FILTERS else "open"
        sort = self.request.GET.get("sort", "deadline")
        sort = sort if sort.lstrip("-") in SORTS else "deadline"
        try:
            page = max(1, int(self.request.GET.get("page", "1")))
        except ValueError:
            page = 1
        on = filing.today()
        qs = queue_queryset(self.request.user, state=state, sort=sort, on=on)
        start = (page - 1) * PAGE_SIZE
        rows = list(
            qs.prefetch_related(Prefetch("return_tasks", queryset=_open_tasks().order_by("-created_at"), to_attr="open_tasks"))[
                start : start + PAGE_SIZE + 1
            ]
        )
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        defs = completeness._Defs()
        draft = send_back_draft.pop(self.request)
        for c in rows:
            c.missing_labels = completeness.missing_labels(c, defs=defs)
            c.status_label = filing.status_label(c.filing_status)
            c.status_css = STATUS_CSS.get(c.filing_status, "bg-secondary-lt")
            c.can_file = c.filing_status != filing.FILED
            c.can_send_back = not c.open_tasks  # the queue holds only the archivist's scope
            c.send_back_draft = draft["note"] if draft and draft.get("pk") == c.pk else None
        base = self.request.GET.copy()
        base.pop("page", None)
        ctx.update(
            title=_("Archive work queue"),
            rows=rows,
            state=state,
            sort=sort,
            filters=list(FILTERS.items()),
            sorts=[(k, label) for k, (_f, label) in SORTS.items()],
            page=page,
            has_next=has_next,
            has_previous=page > 1,
            querystring=base.urlencode(),
            next_url=self.request.get_full_path(),
            note_max_length=filing.NOTE_MAX_LENGTH,
        )
        return ctx


def _target(request, default: str) -> str:
    return same_site(request, request.POST.get("next"), default)


class FileCustomerView(ScopedMixin, View):
    """POST: mark the record filed (or its change reported); back to `next` (same site) or the
    queue."""

    model = Customer
    action = "archive"
    http_method_names = ["post"]

    def post(self, request, pk):
        customer = get_object_or_404(Customer.objects.live().restrict(request.user, "archive"), pk=pk)
        try:
            was_filed = customer.filed_at is not None
            filing.file_customer(customer, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            if was_filed:
                messages.success(request, _("The change of “%(name)s” is recorded as reported.") % {"name": customer.name})
            else:
                messages.success(request, _("“%(name)s” is filed.") % {"name": customer.name})
        return HttpResponseRedirect(_target(request, reverse("customers:archive_queue")))


class SendBackView(ScopedMixin, View):
    """POST: the archivist sends the record back to its unit with a note (F-CUS-5); back to
    `next` (same site) or the queue. A refused note is kept for the form there."""

    model = Customer
    action = "archive"
    http_method_names = ["post"]

    def post(self, request, pk):
        customer = get_object_or_404(Customer.objects.live().restrict(request.user, "archive"), pk=pk)
        note = request.POST.get("note", "")
        try:
            task = filing.send_back(customer, actor=request.user, note=note)
        except DomainError as exc:
            messages.error(request, str(exc))
            send_back_draft.keep(request, customer.pk, note)
        else:
            messages.success(
                request,
                _("“%(name)s” is sent back to %(unit)s: %(reason)s.")
                % {"name": customer.name, "unit": customer.unit, "reason": task.get_reason_display()},
            )
        return HttpResponseRedirect(_target(request, reverse("customers:archive_queue")))


class ResolveReturnTaskView(LoginRequiredMixin, View):
    """POST: mark a return task corrected. Needs the archive or the change permission (else
    403); the record must be in that scope (else 404)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        user = request.user
        actions = [a for a in ("archive", "change") if user.has_perm(permission_code(Customer, a))]
        if not actions:
            raise PermissionDenied
        in_scope = Q(pk__in=[])
        for action in actions:
            in_scope |= Q(customer__in=Customer.objects.live().restrict(user, action).values("pk"))
        task = get_object_or_404(ReturnTask.objects.select_related("customer").filter(in_scope), pk=pk)
        try:
            filing.resolve_task(task, actor=user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("“%(name)s” is marked corrected.") % {"name": task.customer.name})
        return HttpResponseRedirect(_target(request, task.customer.get_absolute_url()))
