"""Import and export URLs (helper E)."""

from django.urls import path

from . import views_imports as v

urlpatterns = [
    path("export/", v.CustomerExportView.as_view(), name="export"),
    path("import/", v.ImportStartView.as_view(), name="import"),
    path("import/template/", v.ImportTemplateView.as_view(), name="import_template"),
    path("import/<int:pk>/", v.ImportDetailView.as_view(), name="import_detail"),
    path("import/<int:pk>/mapping/", v.ImportMappingView.as_view(), name="import_mapping"),
    path("import/<int:pk>/commit/", v.ImportCommitView.as_view(), name="import_commit"),
    path("import/<int:pk>/progress/", v.ImportProgressView.as_view(), name="import_progress"),
    path("import/<int:pk>/report/", v.ImportReportView.as_view(), name="import_report"),
]
