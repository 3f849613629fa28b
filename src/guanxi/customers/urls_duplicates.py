"""Duplicate check, archive findings and merge (helper B)."""

from django.urls import path

from . import views_duplicates as views

urlpatterns = [
    path("duplicates/check/", views.duplicate_check, name="duplicate_check"),
    path("duplicates/", views.finding_list, name="duplicates"),
    path("duplicates/scan/", views.run_scan, name="duplicates_scan"),
    path("duplicates/<int:pk>/dismiss/", views.dismiss, name="finding_dismiss"),
    path("merge/", views.merge_view, name="merge"),
]
