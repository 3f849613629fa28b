from django.urls import path

from . import views

app_name = "policy"
urlpatterns = [
    path("", views.detail, name="detail"),
    path("edit/", views.edit, name="edit"),
    path("history/", views.history, name="history"),
    path("versions/<int:number>/", views.version_detail, name="version"),
    path("export/", views.export, name="export"),
    path("import/", views.import_view, name="import"),
]
