"""Pages of grading: business figures (list, form, import, export), the grading profile form,
confirm / override from the customer page, the quota page and the reports (grades by unit,
grade changes). Every page reads through restrict(); writes go through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core import generic
from guanxi.core.errors import DomainError
from guanxi.customers import downloads

from . import imports, queries, quotas, rules, services
from .forms import (
    BusinessFigureForm,
    ChangeFilter,
    ConfirmForm,
    FigureFilter,
    GradeFilter,
    GradingProfileForm,
    ImportForm,
    OverrideForm,
    customers_in_scope,
)
from .models import BusinessFigure, CustomerGrade, GradeChange, GradingProfile


def _export(request, *, model, title: str, header: list, rows, filename: str) -> HttpResponse:
    return downloads.respond(
        request, model_label=model._meta.label_lower, sheet=title, header=header, rows=rows, filename=filename, filters=_filters(request)
    )


def _filters(request) -> dict:
    return {k: v for k, v in request.GET.items() if k not in ("page", "sort") and v}


# ------------------------------------------------------------------------------ business figures


class FigureList(generic.ObjectListView):
    model = BusinessFigure
    template_name = "grading/figure_list.html"
    filterset_class = FigureFilter
    columns = ("customer", "year", "sales", "payments", "collection", "overdue_payments", "updated_at")
    sortable = ("year", "sales", "payments", "collection", "overdue_payments")
    default_sort = "-year"
    add_url_name = "grading:figure_add"
    title = gettext_lazy("Business figures")

    def base_queryset(self):
        return BusinessFigure.objects.select_related("customer")


class FigureExport(generic.ScopedMixin, View):
    model = BusinessFigure
    action = "export"

    def get(self, request):
        qs = FigureFilter(request.GET, queryset=self.get_queryset().select_related("customer", "customer__unit"), request=request).qs
        header = [
            _("Customer id"),
            _("Customer"),
            _("Unit"),
            _("Year"),
            _("Sales (¥)"),
            _("Payments received (¥)"),
            _("Collection (¥)"),
            _("Overdue payments"),
            _("Note"),
        ]
        rows = (
            [f.customer_id, f.customer.name, f.customer.unit.name, f.year, f.sales, f.payments, f.collection, f.overdue_payments, f.note]
            for f in qs.order_by("customer_id", "year").iterator(chunk_size=2000)
        )
        return _export(
            request,
            model=BusinessFigure,
            title=_("Business figures"),
            header=header,
            rows=rows,
            filename="business-figures",
        )


class FigureFormMixin:
    form_class = BusinessFigureForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        if getattr(self, "object", None) is not None:
            kwargs["instance"] = self.object
        return kwargs

    def get_success_url(self):
        return f"{reverse('grading:figures')}?customer={self.object.customer_id}"


class FigureCreate(FigureFormMixin, generic.ObjectCreateView):
    model = BusinessFigure
    title = gettext_lazy("New business figures")

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("customer", "").isdigit():
            initial["customer"] = int(self.request.GET["customer"])
        initial.setdefault("year", rules_year())
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = self.title
        return ctx

    def perform(self, form):
        data = form.cleaned_data
        return services.save_figure(actor=self.request.user, customer=data["customer"], year=data["year"], data=data)


def rules_year() -> int:
    from .engine import reference_year

    return reference_year()


class FigureEdit(FigureFormMixin, generic.ObjectEditView):
    model = BusinessFigure

    def perform(self, form):
        data = form.cleaned_data
        return services.save_figure(
            actor=self.request.user, customer=self.object.customer, year=data["year"], data=data, figure=self.object
        )


class FigureDelete(generic.ObjectDeleteView):
    model = BusinessFigure
    success_url = reverse_lazy("grading:figures")

    def perform(self, obj):
        services.delete_figure(obj, actor=self.request.user)


class FigureImport(LoginRequiredMixin, View):
    template_name = "grading/figure_import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not (
            request.user.has_perm("grading.import_businessfigure") and request.user.has_perm("grading.add_businessfigure")
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": ImportForm()})

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = imports.import_figures(request.user, upload, upload.name)
            except imports.ImportInvalid as exc:
                form.add_error("file", str(exc))
                errors = exc.errors
            except DomainError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    _("Imported %(rows)s rows: %(created)s new, %(updated)s updated.")
                    % {"rows": result.rows, "created": result.created, "updated": result.updated},
                )
                return HttpResponseRedirect(reverse("grading:figures"))
        return render(request, self.template_name, {"form": form, "row_errors": errors}, status=400 if errors else 200)


# ------------------------------------------------------------------------------ profile, confirm, override


def _customer(request, pk, model, action):
    customer = customers_in_scope(request.user, model, action).select_related("unit").filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


class ProfileEdit(LoginRequiredMixin, View):
    template_name = "grading/profile_form.html"

    def _check(self, request, pk):
        if not (request.user.has_perm("grading.change_gradingprofile") or request.user.has_perm("grading.add_gradingprofile")):
            raise PermissionDenied
        action = "change" if request.user.has_perm("grading.change_gradingprofile") else "add"
        return _customer(request, pk, GradingProfile, action)

    def get(self, request, pk):
        customer = self._check(request, pk)
        profile = GradingProfile.objects.filter(customer=customer).first()
        initial = {}
        if profile is not None:
            initial = {f: getattr(profile, f) for f in services.PROFILE_FIELDS}
        return render(request, self.template_name, {"form": GradingProfileForm(initial=initial), "customer": customer, "profile": profile})

    def post(self, request, pk):
        customer = self._check(request, pk)
        form = GradingProfileForm(request.POST)
        if form.is_valid():
            try:
                services.save_profile(customer, actor=request.user, data=form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(customer.get_absolute_url())
        return render(request, self.template_name, {"form": form, "customer": customer}, status=400)


class GradeAction(LoginRequiredMixin, View):
    """POST confirm / override from the customer page's grade panel."""

    kind = "confirm"

    def post(self, request, pk):
        if not request.user.has_perm(services.CONFIRM_PERMISSION):
            raise PermissionDenied
        customer = _customer(request, pk, CustomerGrade, "view")
        back = customer.get_absolute_url() + "#panel-grading"
        try:
            if self.kind == "confirm":
                form = ConfirmForm(request.POST)
                form.is_valid()
                grade = services.confirm_grade(customer, actor=request.user, reason=form.cleaned_data.get("reason", ""))
            else:
                scheme = rules.scheme_for(customer)
                form = OverrideForm(request.POST, levels=[(lv.code, lv.code) for lv in scheme.levels])
                if not form.is_valid():
                    for field, errs in form.errors.items():
                        label = form.fields[field].label if field in form.fields else ""
                        messages.error(request, f"{label}: {' '.join(errs)}" if label else " ".join(errs))
                    return HttpResponseRedirect(back)
                grade = services.override_grade(
                    customer, form.cleaned_data["level"], actor=request.user, reason=form.cleaned_data["reason"]
                )
        except DomainError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(back)
        scheme = rules.scheme_for(customer)
        messages.success(request, _("The grade is now %(level)s.") % {"level": rules.level_label(scheme, grade.level)})
        for count in getattr(grade, "quota_counts", []):
            if count.full:
                messages.warning(request, _("Quota full: %(counts)s.") % {"counts": count.text()})
            elif count.near:
                messages.warning(request, _("Quota nearly full: %(counts)s.") % {"counts": count.text()})
        return HttpResponseRedirect(back)


class RefreshProposal(LoginRequiredMixin, View):
    def post(self, request, pk):
        if not request.user.has_perm("grading.change_customergrade"):
            raise PermissionDenied
        customer = _customer(request, pk, CustomerGrade, "change")
        services.refresh_proposal(customer)
        messages.success(request, _("The proposal was computed again."))
        return HttpResponseRedirect(customer.get_absolute_url() + "#panel-grading")


# ------------------------------------------------------------------------------ quota page


def departments_for(user):
    """Departments whose quotas `user` may see: every department with scope "all", else the
    departments in and above the user's units."""
    from guanxi.accounts.access import principal_for
    from guanxi.accounts.models import OrgUnit, UnitKind

    principal = principal_for(user)
    level = principal.scope_level(CustomerGrade, "view") if principal else None
    if level is None:
        return []
    departments = OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT, is_active=True)
    if level == "all":
        return list(departments.order_by("path"))
    found = {u.pk: u for u in departments.filter(OrgUnit.unit_filter(principal, "unit_tree"))}
    for unit in OrgUnit.objects.filter(pk__in=principal.unit_ids):
        dept = quotas.department_of(unit)
        found.setdefault(dept.pk, dept)
    return sorted(found.values(), key=lambda u: u.path)


class QuotaPage(generic.ScopedMixin, View):
    model = CustomerGrade

    def get(self, request):
        units = departments_for(request.user)
        selected = request.GET.get("unit", "")
        if selected.isdigit():
            units = [u for u in units if u.pk == int(selected)] or units
        return render(
            request,
            "grading/quota.html",
            {
                "rows": queries.quota_page(units),
                "can_run": request.user.has_perm(services.RUN_PERMISSION),
                "last_run": audit_last_run(),
            },
        )


def audit_last_run():
    from guanxi.core.models import AuditEvent

    return AuditEvent.objects.filter(event_type="grading.proposals_run").order_by("-id").first()


class RunProposals(LoginRequiredMixin, View):
    def post(self, request):
        try:
            services.start_run(actor=request.user)
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from None
        messages.success(request, _("The proposal run has started; grades update when it ends."))
        return HttpResponseRedirect(reverse("grading:quota"))


# ------------------------------------------------------------------------------ reports


class GradeList(generic.ObjectListView):
    """Customers by grade per unit: a summary per unit and scheme, then the customers."""

    model = CustomerGrade
    template_name = "grading/grade_list.html"
    filterset_class = GradeFilter
    columns = ("customer", "unit", "scheme", "proposed_level", "level", "confirmed_by", "confirmed_at")
    sortable = ("confirmed_at",)
    default_sort = "-pk"
    title = gettext_lazy("Grades by unit")

    def base_queryset(self):
        return CustomerGrade.objects.select_related("customer", "unit", "confirmed_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["summary"] = queries.grades_by_unit(self.filterset.qs if self.filterset is not None else self.get_queryset())
        pol = rules.policy()
        ctx["label_of"] = {(s.code, lv.code): rules.label(lv, lv.code) for s in pol.grading.schemes for lv in s.levels}
        return ctx


class GradeListExport(generic.ScopedMixin, View):
    model = CustomerGrade
    action = "export"

    def get(self, request):
        qs = GradeFilter(request.GET, queryset=self.get_queryset().select_related("customer", "unit", "confirmed_by"), request=request).qs
        pol = rules.policy()
        labels = {(s.code, lv.code): rules.label(lv, lv.code) for s in pol.grading.schemes for lv in s.levels}
        header = [
            _("Customer id"),
            _("Customer"),
            _("Unit"),
            _("Scheme"),
            _("Proposed grade"),
            _("Grade"),
            _("Confirmed by"),
            _("Confirmed"),
            _("Reason"),
            _("Policy version"),
        ]
        rows = (
            [
                g.customer_id,
                g.customer.name,
                g.unit.name,
                g.scheme,
                labels.get((g.scheme, g.proposed_level), g.proposed_level),
                labels.get((g.scheme, g.level), g.level),
                str(g.confirmed_by or ""),
                g.confirmed_at,
                g.reason,
                g.policy_version,
            ]
            for g in qs.order_by("unit__name", "customer_id").iterator(chunk_size=2000)
        )
        return _export(request, model=CustomerGrade, title=_("Grades"), header=header, rows=rows, filename="grades")


class ChangeList(generic.ObjectListView):
    model = GradeChange
    template_name = "grading/change_list.html"
    filterset_class = ChangeFilter
    columns = ("at", "customer", "scheme", "from_level", "to_level", "proposed_level", "source", "actor", "reason", "policy_version")
    sortable = ("at",)
    default_sort = "-at"
    title = gettext_lazy("Grade changes")

    def base_queryset(self):
        return GradeChange.objects.select_related("customer", "actor")


class ChangeExport(generic.ScopedMixin, View):
    model = GradeChange
    action = "export"

    def get(self, request):
        qs = ChangeFilter(request.GET, queryset=self.get_queryset().select_related("customer", "actor", "unit"), request=request).qs
        header = [
            _("When"),
            _("Customer id"),
            _("Customer"),
            _("Unit"),
            _("Scheme"),
            _("From"),
            _("To"),
            _("Proposed grade"),
            _("Source"),
            _("By"),
            _("Reason"),
            _("Policy version"),
            _("Policy clause"),
        ]
        rows = (
            [
                c.at,
                c.customer_id,
                c.customer.name,
                c.unit.name,
                c.scheme,
                c.from_level,
                c.to_level,
                c.proposed_level,
                c.get_source_display(),
                str(c.actor or ""),
                c.reason,
                c.policy_version,
                c.clause,
            ]
            for c in qs.order_by("-at", "-id").iterator(chunk_size=2000)
        )
        return _export(
            request,
            model=GradeChange,
            title=_("Grade changes"),
            header=header,
            rows=rows,
            filename="grade-changes",
        )
