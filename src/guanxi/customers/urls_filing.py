"""Filing & completeness: the archivist work queue and the "mark filed" action."""

from django.urls import path

from . import views_filing

urlpatterns = [
    path("archive/", views_filing.ArchiveQueueView.as_view(), name="archive_queue"),
    path("<int:pk>/file/", views_filing.FileCustomerView.as_view(), name="archive_file"),
]
