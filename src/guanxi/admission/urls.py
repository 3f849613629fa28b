from django.urls import path

from . import views

app_name = "admission"
urlpatterns = [
    path("", views.AdmissionListView.as_view(), name="list"),
    path("export/", views.AdmissionExportView.as_view(), name="export"),
    path("customer/<int:customer_pk>/start/", views.AdmissionStartView.as_view(), name="start"),
    path("<int:pk>/", views.AdmissionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.AdmissionEditView.as_view(), name="edit"),
    path("<int:pk>/submit/", views.SubmitView.as_view(), name="submit"),
    path("<int:pk>/items/<slug:code>/", views.ItemUpdateView.as_view(), name="item"),
    path("<int:pk>/items/<slug:code>/upload/", views.DocumentUploadView.as_view(), name="upload"),
    path("<int:pk>/documents/<int:doc_pk>/", views.DocumentDownloadView.as_view(), name="document"),
    path("<int:pk>/documents/<int:doc_pk>/delete/", views.DocumentDeleteView.as_view(), name="document_delete"),
]
