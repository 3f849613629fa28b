from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("", views.ReviewListView.as_view(), name="pending"),
    path("export/", views.ReviewExportView.as_view(), name="export"),
    path("classification/", views.ClassificationExportView.as_view(), name="classification"),
    path("<int:pk>/", views.ReviewDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ReviewEditView.as_view(), name="edit"),
    path("<int:pk>/submit/", views.ReviewSubmitView.as_view(), name="submit"),
    path("cycles/", views.CycleListView.as_view(), name="cycle_list"),
    path("cycles/open/", views.CycleOpenView.as_view(), name="cycle_open"),
    path("cycles/<int:pk>/", views.CycleDetailView.as_view(), name="cycle_detail"),
    path("cycles/<int:pk>/close/", views.CycleCloseView.as_view(), name="cycle_close"),
    path("incidents/", views.IncidentListView.as_view(), name="incident_list"),
    path("incidents/add/", views.IncidentCreateView.as_view(), name="incident_create"),
    path("incidents/export/", views.IncidentExportView.as_view(), name="incident_export"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("downgrades/", views.DowngradeListView.as_view(), name="downgrade_list"),
    path("downgrades/export/", views.DowngradeExportView.as_view(), name="downgrade_export"),
    path("downgrades/<int:pk>/", views.DowngradeDetailView.as_view(), name="downgrade_detail"),
    path("downgrades/<int:pk>/complete/", views.DowngradeCompleteView.as_view(), name="downgrade_complete"),
    path("downgrades/<int:pk>/cancel/", views.DowngradeCancelView.as_view(), name="downgrade_cancel"),
]
