"""Import (upload → mapping → preview → commit → result) and export pages (F-CUS-8, F-SEC-2).
Views stay thin: customers.imports and customers.exports do the work.

Import pages need `customers.import_customer` (403 otherwise); a job is found only among the
user's own (404 otherwise). The export needs `customers.export_customer` and goes through
`restrict(user, "export")` and the list's filters.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core.errors import DomainError
from guanxi.core.generic import ScopedMixin
from guanxi.policy import services as policy_services

from . import downloads, exports, imports, xlsx
from .models import Customer, ImportStatus

RUNNING = (ImportStatus.ANALYSING, ImportStatus.COMMITTING)


def _retention_days() -> int:
    return policy_services.current().security.import_file_retention_days


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), help_text=xlsx.ACCEPTED_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ".xlsx,.csv,.txt", "class": "form-control"})


class ImportPermissionMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(imports.IMPORT_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_job(self, pk):
        return get_object_or_404(imports.jobs_for(self.request.user), pk=pk)


class ImportStartView(ImportPermissionMixin, View):
    """The upload form and the user's recent imports."""

    template_name = "customers/imports/start.html"

    def render(self, form, status=200):
        jobs = imports.jobs_for(self.request.user).order_by("-created_at")[:20]
        ctx = {"form": form, "jobs": jobs, "title": _("Import customers"), "retention_days": _retention_days()}
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request):
        return self.render(UploadForm())

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            job = imports.start_import(actor=request.user, upload=form.cleaned_data["file"])
        except DomainError as exc:
            form.add_error("file", str(exc))
            return self.render(form, status=400)
        return HttpResponseRedirect(job.get_absolute_url())


class ImportDetailView(ImportPermissionMixin, View):
    """One page per job; what it shows follows the job's status."""

    template_name = "customers/imports/detail.html"

    def get(self, request, pk):
        job = self.get_job(pk)
        return render(request, self.template_name, self.context(job))

    def context(self, job, **extra):
        preview = job.preview or {}
        columns = [
            {"index": str(i), "header": header or _("(column %(n)d)") % {"n": i + 1}, "field": (job.mapping or {}).get(str(i), "")}
            for i, header in enumerate(job.headers or [])
        ]
        return {
            "job": job,
            "title": _("Import %(name)s") % {"name": job.original_name},
            "columns": columns,
            "field_choices": imports.field_choices(),
            "errors": preview.get("errors", []),
            "duplicates": preview.get("duplicates", []),
            "counts": job.counts or {},
            "progress": imports.progress_of(job),
            "running": job.status in RUNNING,
            "preview_limit": imports.PREVIEW_LIMIT,
            "large": imports.is_large(job),
            "retention_days": _retention_days(),
            **extra,
        }


class ImportMappingView(ImportDetailView):
    """POST: the column mapping; then the preview is built (inline or as a task)."""

    def post(self, request, pk):
        job = self.get_job(pk)
        mapping = {str(i): request.POST.get(f"col-{i}", "") for i in range(len(job.headers or []))}
        try:
            job = imports.set_mapping(job, actor=request.user, mapping=mapping)
            job = imports.schedule_analysis(job)
        except DomainError as exc:
            job.refresh_from_db()
            ctx = self.context(job, mapping_error=str(exc))
            for col in ctx["columns"]:
                col["field"] = mapping.get(col["index"], "")
            return render(request, self.template_name, ctx, status=400)
        return HttpResponseRedirect(job.get_absolute_url())


class ImportCommitView(ImportDetailView):
    """POST: the per-row skip/update choices; then the all-or-nothing import."""

    def post(self, request, pk):
        job = self.get_job(pk)
        raw = {key[len("decision-") :]: value for key, value in request.POST.items() if key.startswith("decision-")}
        decisions = imports.clean_decisions(job, raw, request.POST.get("default_decision", imports.SKIP))
        try:
            job = imports.schedule_commit(job, actor=request.user, decisions=decisions)
        except DomainError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(job.get_absolute_url())
        if job.status == ImportStatus.DONE:
            messages.success(request, _("The import is complete."))
        elif job.message:
            messages.error(request, job.message)
        return HttpResponseRedirect(job.get_absolute_url())


class ImportProgressView(ImportPermissionMixin, View):
    """HTMX fragment polled while a job runs; once it ends the page reloads."""

    def get(self, request, pk):
        job = self.get_job(pk)
        if job.status not in RUNNING:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = job.get_absolute_url()
            return response
        return render(request, "customers/imports/_progress.html", {"job": job, "progress": imports.progress_of(job), "running": True})


class ImportReportView(ImportPermissionMixin, View):
    """The error report (every bad row with its messages, and the duplicates) as xlsx."""

    def get(self, request, pk):
        job = self.get_job(pk)
        if job.purged_at is not None:
            messages.info(request, _("The error report was deleted with the uploaded file under the retention policy."))
            return HttpResponseRedirect(job.get_absolute_url())
        if not job.error_report:
            raise Http404
        name = f"import-{job.pk}-errors.xlsx"
        return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=name, content_type=xlsx.XLSX_CONTENT_TYPE)


class ImportTemplateView(ImportPermissionMixin, View):
    """An empty workbook with the recognised column titles, to fill in."""

    def get(self, request):
        headers = [f.aliases[0] for f in imports.FIELDS]
        data = xlsx.write_workbook([(_("Customers"), headers, [])])
        response = HttpResponse(data, content_type=xlsx.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="customer-import-template.xlsx"'
        return response


class CustomerExportView(ScopedMixin, View):
    """xlsx of the customer list as filtered (same query string as customers:list)."""

    model = Customer
    action = "export"

    def get(self, request):
        qs = self.get_queryset().filter(merged_into__isnull=True)
        filters = {k: v for k, v in request.GET.lists() if k not in ("page", "sort")}
        try:
            from .filters import CustomerFilter
        except ImportError:  # pragma: no cover - the list's filters ship with the app
            CustomerFilter = None
        if CustomerFilter is not None:
            filterset = CustomerFilter(request.GET, queryset=qs, request=request)
            qs = filterset.qs if filterset.is_valid() else qs.none()
        sort = request.GET.get("sort", "-pk")
        allowed = {"name", "created_at", "completeness", "filing_deadline", "status", "category", "pk", "id"}
        qs = qs.order_by(sort, "pk") if sort.lstrip("-") in allowed else qs.order_by("-pk")
        try:
            return exports.export_customers(request.user, qs, filters={k: v if len(v) > 1 else v[0] for k, v in filters.items()})
        except downloads.ExportTooLarge as exc:
            return downloads.refused(request, exc)
