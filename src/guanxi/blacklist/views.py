"""Blacklist pages: the scoped list (filters, sorting, xlsx export), adding an entry (also from
the customer page), an entry with its lift action. Rules live in services.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import generic

from guanxi.core.errors import DomainError
from guanxi.core.generic import ObjectDetailView, ObjectListView, ScopedMixin, ServiceFormMixin
from guanxi.customers.models import Customer

from . import services
from .filters import EntryFilter
from .forms import EntryForm, LiftForm
from .models import BlacklistEntry, EntryStatus, Level


class EntryListView(ObjectListView):
    model = BlacklistEntry
    template_name = "blacklist/list.html"
    filterset_class = EntryFilter
    columns = ("customer", "level", "unit", "reason", "status", "created_at", "created_by")
    sortable = ("customer", "level", "unit", "status", "created_at")
    default_sort = "-created_at"
    add_url_name = "blacklist:add"

    def base_queryset(self):
        return BlacklistEntry.objects.select_related("customer", "unit", "created_by")

    def get_queryset(self):
        qs = super().get_queryset()
        sort = self.request.GET.get("sort", "")
        if sort.lstrip("-") == "customer":  # by name, not by the customer's id
            qs = qs.order_by(sort.replace("customer", "customer__name"), "pk")
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("Blacklist")
        ctx["can_export"] = self.request.user.has_perm("blacklist.export_blacklistentry")
        return ctx


class EntryExportView(ScopedMixin, generic.View):
    """xlsx of the filtered list within the export scope (formula-safe, audited)."""

    model = BlacklistEntry
    action = "export"

    def get(self, request):
        from guanxi.customers import downloads

        qs = self.get_queryset().select_related("customer", "unit", "created_by", "lifted_by")
        filterset = EntryFilter(request.GET, queryset=qs, request=request)
        rows_qs = filterset.qs.order_by("-created_at", "-id")
        headers = [
            _("Customer"),
            _("List"),
            _("Department"),
            _("Reason"),
            _("Incident and evidence"),
            _("Status"),
            _("Added by"),
            _("Added"),
            _("In force since"),
            _("Lifted"),
            _("Reason for lifting"),
            _("Policy version"),
            _("Policy clause"),
        ]

        def local(value):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

        def rows():
            for e in rows_qs.iterator(chunk_size=2000):
                yield [
                    e.customer.name,
                    e.get_level_display(),
                    str(e.unit) if e.unit_id else "",
                    e.reason,
                    e.evidence,
                    e.get_status_display(),
                    str(e.created_by) if e.created_by_id else "",
                    local(e.created_at),
                    local(e.activated_at),
                    local(e.lifted_at),
                    e.lift_reason,
                    e.policy_version,
                    e.clause,
                ]

        return downloads.respond(
            request,
            model_label="blacklist.blacklistentry",
            sheet=_("Blacklist"),
            header=headers,
            rows=rows(),
            filename="blacklist",
            filters={k: v for k, v in request.GET.items() if v},
        )


class EntryDetailView(ObjectDetailView):
    model = BlacklistEntry
    template_name = "blacklist/detail.html"

    def base_queryset(self):
        return BlacklistEntry.objects.select_related("customer", "unit", "created_by", "decided_by", "lifted_by", "approval")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        entry = self.object
        ctx["can_lift"] = services.can_lift(self.request.user, entry)
        ctx["lift_form"] = kwargs.get("lift_form") or LiftForm()
        ctx["customer_visible"] = Customer.objects.restrict(self.request.user, "view").filter(pk=entry.customer_id).exists()
        return ctx


class EntryLiftView(ScopedMixin, generic.View):
    """POST: lift an entry in force (services.lift_entry decides who may)."""

    model = BlacklistEntry
    action = "lift"

    def post(self, request, pk):
        entry = get_object_or_404(self.get_queryset(), pk=pk)
        form = LiftForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason for lifting the entry."))
            return HttpResponseRedirect(entry.get_absolute_url())
        try:
            services.lift_entry(entry, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The blacklist entry was lifted."))
        return HttpResponseRedirect(entry.get_absolute_url())


class EntryAddView(ScopedMixin, ServiceFormMixin, generic.FormView):
    """Step 1 (no ?customer=): find the customer among those the user may see. Step 2: the form."""

    model = BlacklistEntry
    action = "add"
    form_class = EntryForm
    template_name = "blacklist/add.html"
    search_limit = 20

    def customer(self):
        if not hasattr(self, "_customer"):
            pk = self.request.POST.get("customer") or self.request.GET.get("customer")
            qs = Customer.objects.restrict(self.request.user, "view").live()
            self._customer = get_object_or_404(qs, pk=pk) if pk and str(pk).isdigit() else None
        return self._customer

    def get_initial(self):
        initial = super().get_initial()
        customer = self.customer()
        if customer is not None:
            initial["customer"] = customer.pk
        initial["unit"] = services._primary_unit(self.request.user)
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        q = (self.request.GET.get("q") or "").strip()[:100]
        results = []
        if self.customer() is None and q:
            from guanxi.customers.search import search

            results = list(search(self.request.user, q, limit=self.search_limit))
        ctx.update(
            title=_("Add to blacklist"),
            customer=self.customer(),
            q=q,
            results=results,
            approval_needed=services.requires_approval(),
        )
        return ctx

    def perform(self, form):
        data = form.cleaned_data
        entry = services.add_entry(
            customer=data["customer"],
            level=data["level"],
            actor=self.request.user,
            reason=data["reason"],
            evidence=data["evidence"],
            unit=data.get("unit") if data["level"] == Level.DEPARTMENT else None,
        )
        if entry.status == EntryStatus.PENDING:
            self.success_message = _("The company blacklist entry was sent to the marketing division for approval.")
        else:
            self.success_message = _("The customer is on the blacklist from now on.")
        return entry

    def get_success_url(self):
        return self.object.get_absolute_url()
