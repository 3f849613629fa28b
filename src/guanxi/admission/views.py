"""Admission pages: the list of admissions (pending by default filter), the detail page where
items are confirmed and documents uploaded, submission and the exemption form. Every view
queries through restrict(); out of scope → 404, no permission → 403."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from guanxi.core.errors import DomainError
from guanxi.core.generic import ObjectDetailView, ObjectEditView, ObjectListView, ScopedMixin
from guanxi.customers.models import Customer

from . import exports, queries, rules, services
from .filters import AdmissionFilter
from .forms import AdmissionForm, ItemForm, StartForm, UploadForm
from .models import Admission, AdmissionDocument, AdmissionItem, AdmissionStatus


class AdmissionListView(ObjectListView):
    model = Admission
    filterset_class = AdmissionFilter
    template_name = "admission/list.html"
    sortable = ("created_at", "completeness", "next_expiry", "status")
    default_sort = "-created_at"
    title = None

    def base_queryset(self):
        return Admission.objects.select_related("customer__owner", "customer__unit")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("Admissions")
        ctx["can_export"] = self.request.user.has_perm("admission.export_admission")
        for a in ctx["object_list"]:
            a.expired_labels = [rules.label(c) for c in a.expired_items]
            open_ = a.status not in (AdmissionStatus.EXEMPT, AdmissionStatus.APPROVED)
            a.missing_labels = [rules.label(c) for c in a.missing_items if c not in a.expired_items] if open_ else []
        return ctx


class AdmissionExportView(ScopedMixin, View):
    model = Admission
    action = "export"

    def get(self, request):
        qs = self.get_queryset().order_by("-created_at", "-pk")
        filterset = AdmissionFilter(request.GET, queryset=qs, request=request)
        filters = {k: v for k, v in request.GET.items() if v}
        return exports.export_admissions(request, filterset.qs, filters=filters)


class AdmissionDetailView(ObjectDetailView):
    model = Admission
    template_name = "admission/detail.html"

    def base_queryset(self):
        return Admission.objects.select_related("customer__owner", "customer__unit", "approval_request", "submitted_by", "decided_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        admission = self.object
        user = self.request.user
        can_change = user.has_perm("admission.change_admission") and admission.is_editable
        rows = queries.item_rows(admission)
        docs = {}
        for doc in AdmissionDocument.objects.filter(item__admission=admission).select_related("uploaded_by"):
            docs.setdefault(doc.item_id, []).append(doc)
        problems = services.problems(admission) if admission.status not in (AdmissionStatus.EXEMPT, AdmissionStatus.APPROVED) else {}
        for row in rows:
            item = row["item"]
            row["documents"] = docs.get(item.pk, [])
            row["problems"] = problems.get(item.code, [])
            if can_change:
                row["form"] = ItemForm(
                    prefix=item.code,
                    rule=row["rule"],
                    initial={
                        "confirmed": item.confirmed,
                        "document_no": item.document_no,
                        "issued_on": item.issued_on,
                        "expires_on": item.expires_on,
                        "note": item.note,
                    },
                )
                row["upload_form"] = UploadForm(prefix=f"{item.code}-upload")
        ctx.update(
            title=str(admission),
            rows=rows,
            can_change=can_change,
            can_edit=user.has_perm("admission.change_admission") and admission.status != AdmissionStatus.SUBMITTED,
            can_submit=user.has_perm("admission.change_admission")
            and admission.status in (AdmissionStatus.DRAFT, AdmissionStatus.REJECTED),
            missing=problems,
            missing_labels=[rules.label(c) for c in problems],
        )
        return ctx


class AdmissionEditView(ObjectEditView):
    model = Admission
    form_class = AdmissionForm
    template_name = "admission/form.html"
    success_message = None

    def perform(self, form):
        data = form.cleaned_data
        return services.update(
            self.object, actor=self.request.user, kind=data["customer_kind"], reason=data["exemption_reason"], notes=data["notes"]
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class AdmissionStartView(ScopedMixin, View):
    """Opens the admission of a customer (from the customer page)."""

    model = Admission
    action = "add"

    def customer(self, pk):
        return get_object_or_404(Customer.objects.restrict(self.request.user, "view"), pk=pk)

    def get(self, request, customer_pk):
        customer = self.customer(customer_pk)
        existing = Admission.objects.filter(customer=customer).first()
        if existing is not None:
            return HttpResponseRedirect(existing.get_absolute_url())
        codes, clause = rules.checklist_for(customer.category)
        return render(
            request,
            "admission/start.html",
            {"customer": customer, "form": StartForm(), "checklist": [rules.label(c) for c in codes], "clause": clause},
        )

    def post(self, request, customer_pk):
        customer = self.customer(customer_pk)
        form = StartForm(request.POST)
        if form.is_valid():
            try:
                admission = services.start(
                    customer, actor=request.user, kind=form.cleaned_data["customer_kind"], reason=form.cleaned_data["exemption_reason"]
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("Admission started."))
                return HttpResponseRedirect(admission.get_absolute_url())
        codes, clause = rules.checklist_for(customer.category)
        return render(
            request,
            "admission/start.html",
            {"customer": customer, "form": form, "checklist": [rules.label(c) for c in codes], "clause": clause},
            status=400,
        )


class _AdmissionAction(ScopedMixin, View):
    """POST-only action on one admission (change permission, scoped)."""

    model = Admission
    action = "change"

    def admission(self, pk) -> Admission:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def item(self, admission, code) -> AdmissionItem:
        return get_object_or_404(AdmissionItem, admission=admission, code=code)

    def done(self, admission):
        return HttpResponseRedirect(admission.get_absolute_url())


class ItemUpdateView(_AdmissionAction):
    def post(self, request, pk, code):
        admission = self.admission(pk)
        item = self.item(admission, code)
        form = ItemForm(request.POST, prefix=code, rule=rules.ITEMS.get(code))
        if not form.is_valid():
            errors = "; ".join(
                f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e) for f, e in form.errors.items()
            )
            messages.error(request, errors)
            return self.done(admission)
        data = form.cleaned_data
        try:
            services.update_item(
                item,
                actor=request.user,
                confirmed=data["confirmed"],
                document_no=data["document_no"],
                issued_on=data["issued_on"],
                expires_on=data.get("expires_on"),
                note=data["note"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(item)s saved.") % {"item": rules.label(code)})
        return self.done(admission)


class DocumentUploadView(_AdmissionAction):
    def post(self, request, pk, code):
        admission = self.admission(pk)
        item = self.item(admission, code)
        form = UploadForm(request.POST, request.FILES, prefix=f"{code}-upload")
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return self.done(admission)
        try:
            services.add_document(item, actor=request.user, upload=form.cleaned_data["file"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("File uploaded."))
        return self.done(admission)


class DocumentDeleteView(_AdmissionAction):
    def post(self, request, pk, doc_pk):
        admission = self.admission(pk)
        document = get_object_or_404(AdmissionDocument.objects.select_related("item"), pk=doc_pk, item__admission=admission)
        try:
            services.remove_document(document, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("File removed."))
        return self.done(admission)


class DocumentDownloadView(ScopedMixin, View):
    model = Admission
    action = "view"

    def get(self, request, pk, doc_pk):
        admission = get_object_or_404(self.get_queryset(), pk=pk)
        document = get_object_or_404(AdmissionDocument, pk=doc_pk, item__admission=admission)
        try:
            handle = document.file.open("rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type=document.content_type or "application/octet-stream")
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(document.name or 'document')}"
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


class SubmitView(_AdmissionAction):
    def post(self, request, pk):
        admission = self.admission(pk)
        try:
            services.submit(admission, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Submitted for approval."))
        return self.done(admission)
