from django.urls import path

from . import views

app_name = "blacklist"
urlpatterns = [
    path("", views.EntryListView.as_view(), name="list"),
    path("export/", views.EntryExportView.as_view(), name="export"),
    path("add/", views.EntryAddView.as_view(), name="add"),
    path("<int:pk>/", views.EntryDetailView.as_view(), name="detail"),
    path("<int:pk>/lift/", views.EntryLiftView.as_view(), name="lift"),
]
