"""Pages of reviews (F-GRD-3, F-GRD-4): pending reviews, review form, cycles, incidents,
downgrade tasks, exports and the annual classification table. Thin: services do the work;
every queryset comes from restrict() (out of scope → 404, no permission → 403)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from guanxi.core.errors import DomainError
from guanxi.core.generic import ObjectCreateView, ObjectDetailView, ObjectEditView, ObjectListView, ScopedMixin
from guanxi.customers import downloads

from . import exports, grades, queries, services
from .filters import CycleFilter, DowngradeFilter, IncidentFilter, ReviewFilter
from .forms import CancelDowngradeForm, CompleteDowngradeForm, IncidentForm, OpenCycleForm, ReviewForm
from .models import DowngradeTask, Incident, Review, ReviewCycle

# --------------------------------------------------------------------------- helpers


def _filters(request) -> dict:
    return {k: v for k, v in request.GET.items() if k != "page" and v}


class _ExportView(ScopedMixin, View):
    action = "export"
    filterset_class = None
    sheet = ""
    filename = ""

    def rows(self, queryset):
        raise NotImplementedError

    def get(self, request):
        qs = self.queryset(request.user)
        if self.filterset_class is not None:
            qs = self.filterset_class(request.GET, queryset=qs, request=request).qs
        header, rows = self.rows(qs)
        return downloads.respond(
            request,
            model_label=self.model._meta.label_lower,
            sheet=str(self.sheet),
            header=header,
            rows=rows,
            filename=self.filename,
            filters=_filters(request),
        )


# --------------------------------------------------------------------------- reviews


class ReviewListView(ObjectListView):
    model = Review
    template_name = "reviews/review_list.html"
    filterset_class = ReviewFilter
    title = gettext_lazy("Pending reviews")
    sortable = ("customer__name", "cycle__period_start", "status")
    default_sort = "-cycle__period_start"

    def base_queryset(self):
        return Review.objects.select_related("customer", "cycle", "cycle__unit", "owner")


class ReviewExportView(_ExportView):
    model = Review
    filterset_class = ReviewFilter
    sheet = gettext_lazy("Reviews")
    filename = "reviews"

    def queryset(self, user):
        return queries.reviews(user, "export").order_by("-cycle__period_start", "customer__name", "pk")

    def rows(self, queryset):
        return exports.review_rows(queryset)


def _review_context(review: Review) -> dict:
    try:
        scheme = grades.scheme_for(review.customer)
        level = grades.current_level(review.customer)
        suggestion = services.suggested_upgrade(review.customer, level=level, scheme=scheme) if review.is_editable else ""
    except Exception:  # grading not available
        scheme, level, suggestion = None, review.current_level, ""
    return {
        "scheme": scheme,
        "level_label": grades.label(scheme, level),
        "opening_label": grades.label(scheme, review.current_level),
        "proposed_label": grades.label(scheme, review.proposed_level),
        "suggested_label": grades.label(scheme, suggestion or review.suggested_level),
        "applied_label": grades.label(scheme, review.applied_level),
    }


class ReviewDetailView(ObjectDetailView):
    model = Review
    template_name = "reviews/review_detail.html"

    def base_queryset(self):
        return Review.objects.select_related("customer", "cycle", "cycle__unit", "owner", "approval", "submitted_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        review = self.object
        ctx.update(_review_context(review))
        ctx["can_change"] = review.is_editable and self.request.user.has_perm("reviews.change_review")
        ctx["incidents"] = (
            Incident.objects.restrict(self.request.user, "view")
            .filter(customer=review.customer, date__gte=review.cycle.period_start, date__lte=review.cycle.period_end)
            .order_by("-date")
        )
        return ctx


class ReviewEditView(ObjectEditView):
    model = Review
    form_class = ReviewForm
    template_name = "reviews/review_form.html"
    success_message = gettext_lazy("The review form is saved.")

    def base_queryset(self):
        return Review.objects.select_related("customer", "cycle", "cycle__unit")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(_review_context(self.object))
        return ctx

    def perform(self, form):
        data = {name: form.cleaned_data.get(name) for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        if "submit" in self.request.POST:
            review = services.submit_review(self.object, actor=self.request.user, data=data)
            self.success_message = _("The review is submitted for approval.")
            return review
        return services.update_review(self.object, actor=self.request.user, data=data)


class ReviewSubmitView(ScopedMixin, View):
    model = Review
    action = "change"
    http_method_names = ["post"]

    def post(self, request, pk):
        review = get_object_or_404(Review.objects.restrict(request.user, "change"), pk=pk)
        try:
            services.submit_review(review, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The review is submitted for approval."))
        return HttpResponseRedirect(review.get_absolute_url())


# --------------------------------------------------------------------------- cycles


class CycleListView(ObjectListView):
    model = ReviewCycle
    template_name = "reviews/cycle_list.html"
    filterset_class = CycleFilter
    title = gettext_lazy("Review cycles")
    default_sort = "-period_start"

    def base_queryset(self):
        return ReviewCycle.objects.select_related("unit", "opened_by")


class CycleDetailView(ObjectDetailView):
    model = ReviewCycle
    template_name = "reviews/cycle_detail.html"

    def base_queryset(self):
        return ReviewCycle.objects.select_related("unit", "opened_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["counts"] = queries.cycle_counts(self.object)
        ctx["status_labels"] = dict(Review._meta.get_field("status").choices)
        return ctx


class CycleOpenView(ScopedMixin, FormView):
    model = ReviewCycle
    action = "add"
    form_class = OpenCycleForm
    template_name = "reviews/cycle_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        start, end = services.period_of(services.today())
        ctx.update(period_start=start, period_end=end, title=_("Open a review cycle"))
        return ctx

    def form_valid(self, form):
        try:
            cycle = services.open_cycle(form.cleaned_data["unit"], actor=self.request.user)
        except DomainError as exc:
            form.add_error("unit" if exc.field == "unit" else None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("The review cycle is open: %(n)d review forms created.") % {"n": cycle.review_count})
        return HttpResponseRedirect(cycle.get_absolute_url())


class CycleCloseView(ScopedMixin, View):
    model = ReviewCycle
    action = "change"
    http_method_names = ["post"]

    def post(self, request, pk):
        cycle = get_object_or_404(ReviewCycle.objects.restrict(request.user, "change"), pk=pk)
        try:
            services.close_cycle(cycle, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The review cycle is closed."))
        return HttpResponseRedirect(cycle.get_absolute_url())


class ClassificationExportView(ScopedMixin, View):
    """客户分类表: every customer of the user's export scope with its grade at the end of the
    year and that year's review results (seed 000 §一.3)."""

    model = Review
    action = "export"

    def get(self, request):
        try:
            year = int(request.GET.get("year") or timezone.localdate().year)
        except ValueError:
            year = timezone.localdate().year
        if not 2000 <= year <= 2100:
            year = timezone.localdate().year
        header, rows = queries.classification_rows(request.user, year)
        return downloads.respond(
            request,
            model_label="reviews.classification",
            sheet=_("Customer classification %(year)d") % {"year": year},
            header=header,
            rows=rows,
            filename=f"customer-classification-{year}",
            filters={"year": year},
        )


# --------------------------------------------------------------------------- incidents


class IncidentListView(ObjectListView):
    model = Incident
    template_name = "reviews/incident_list.html"
    filterset_class = IncidentFilter
    title = gettext_lazy("Incidents")
    default_sort = "-date"

    def base_queryset(self):
        return Incident.objects.select_related("customer", "recorded_by")


class IncidentDetailView(ObjectDetailView):
    model = Incident
    template_name = "reviews/incident_detail.html"

    def base_queryset(self):
        return Incident.objects.select_related("customer", "recorded_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["tasks"] = DowngradeTask.objects.restrict(self.request.user, "view").filter(incident=self.object)
        return ctx


class IncidentCreateView(ObjectCreateView):
    model = Incident
    form_class = IncidentForm
    template_name = "reviews/incident_form.html"
    success_message = gettext_lazy("The incident is recorded.")

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("customer", "").isdigit():
            initial["customer"] = int(self.request.GET["customer"])
        return initial

    def perform(self, form):
        d = form.cleaned_data
        incident = services.record_incident(
            d["customer"], actor=self.request.user, kind=d["kind"], serious=d["serious"], date=d["date"], description=d["description"]
        )
        task = incident.downgrade_tasks.first()
        if task is not None:
            messages.warning(self.request, _("A downgrade task is open, due on %(due)s.") % {"due": task.due_date})
        return incident


class IncidentExportView(_ExportView):
    model = Incident
    filterset_class = IncidentFilter
    sheet = gettext_lazy("Incidents")
    filename = "incidents"

    def queryset(self, user):
        return queries.incidents(user, "export").order_by("-date", "-pk")

    def rows(self, queryset):
        return exports.incident_rows(queryset)


# --------------------------------------------------------------------------- downgrade tasks


class DowngradeListView(ObjectListView):
    model = DowngradeTask
    template_name = "reviews/downgrade_list.html"
    filterset_class = DowngradeFilter
    title = gettext_lazy("Downgrade tasks")
    default_sort = "due_date"

    def base_queryset(self):
        return DowngradeTask.objects.select_related("customer", "assignee", "incident")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["today"] = timezone.localdate()
        return ctx


class DowngradeDetailView(ObjectDetailView):
    model = DowngradeTask
    template_name = "reviews/downgrade_detail.html"

    def base_queryset(self):
        return DowngradeTask.objects.select_related("customer", "assignee", "incident", "unit", "completed_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        task = self.object
        can = task.is_open and self.request.user.has_perm("reviews.change_downgradetask")
        ctx.update(
            can_change=can,
            complete_form=kwargs.get("complete_form") or (CompleteDowngradeForm(task=task) if can else None),
            cancel_form=kwargs.get("cancel_form") or (CancelDowngradeForm() if can else None),
            late=task.is_late(),
        )
        return ctx


class _DowngradeAction(ScopedMixin, View):
    model = DowngradeTask
    action = "change"
    http_method_names = ["post"]

    def post(self, request, pk):
        task = get_object_or_404(DowngradeTask.objects.restrict(request.user, "change").select_related("customer", "incident"), pk=pk)
        form = self.form(request, task)
        if form.is_valid():
            try:
                self.perform(task, form.cleaned_data)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, self.done_message())
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(task.get_absolute_url())


class DowngradeCompleteView(_DowngradeAction):
    def form(self, request, task):
        return CompleteDowngradeForm(request.POST, task=task)

    def perform(self, task, data):
        services.complete_downgrade(task, actor=self.request.user, level=data["level"], note=data.get("note", ""))

    def done_message(self):
        return _("The customer is downgraded.")


class DowngradeCancelView(_DowngradeAction):
    def form(self, request, task):
        return CancelDowngradeForm(request.POST)

    def perform(self, task, data):
        services.cancel_downgrade(task, actor=self.request.user, note=data["note"])

    def done_message(self):
        return _("The task is closed without a downgrade.")


class DowngradeExportView(_ExportView):
    model = DowngradeTask
    filterset_class = DowngradeFilter
    sheet = gettext_lazy("Downgrade tasks")
    filename = "downgrade-tasks"

    def queryset(self, user):
        return queries.downgrade_tasks(user, "export").order_by("due_date", "pk")

    def rows(self, queryset):
        return exports.downgrade_rows(queryset)
