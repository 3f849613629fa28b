"""Filing & completeness: the archivist work queue, "mark filed", "send back" and "mark
corrected"."""

from django.urls import path

from . import views_filing

urlpatterns = [
    path("archive/", views_filing.ArchiveQueueView.as_view(), name="archive_queue"),
    path("<int:pk>/file/", views_filing.FileCustomerView.as_view(), name="archive_file"),
    path("<int:pk>/send-back/", views_filing.SendBackView.as_view(), name="archive_send_back"),
    path("return-tasks/<int:pk>/resolve/", views_filing.ResolveReturnTaskView.as_view(), name="return_task_resolve"),
]
