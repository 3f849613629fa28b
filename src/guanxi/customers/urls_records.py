"""Customer records pages (helper A2): list, detail, create, edit, quick search, bulk actions."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("new/", views.CustomerCreateView.as_view(), name="create"),
    path("search/", views.CustomerSearchView.as_view(), name="search"),
    path("bulk/", views.CustomerBulkView.as_view(), name="bulk"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CustomerEditView.as_view(), name="edit"),
]
