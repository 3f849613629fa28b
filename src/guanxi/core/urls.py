from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.AuditListView.as_view(), name="list"),
    path("<int:pk>/", views.AuditDetailView.as_view(), name="detail"),
    path("workdays/", views.WorkdayListView.as_view(), name="workdays"),
    path("workdays/add/", views.WorkdayCreateView.as_view(), name="workday_add"),
    path("workdays/<int:pk>/delete/", views.WorkdayDeleteView.as_view(), name="workday_delete"),
]
