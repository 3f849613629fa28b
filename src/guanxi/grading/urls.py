from django.urls import path

from . import views

app_name = "grading"
urlpatterns = [
    path("", views.GradeList.as_view(), name="grade_list"),
    path("export/", views.GradeListExport.as_view(), name="grade_list_export"),
    path("quota/", views.QuotaPage.as_view(), name="quota"),
    path("run/", views.RunProposals.as_view(), name="run"),
    path("changes/", views.ChangeList.as_view(), name="changes"),
    path("changes/export/", views.ChangeExport.as_view(), name="changes_export"),
    path("figures/", views.FigureList.as_view(), name="figures"),
    path("figures/new/", views.FigureCreate.as_view(), name="figure_add"),
    path("figures/export/", views.FigureExport.as_view(), name="figures_export"),
    path("figures/import/", views.FigureImport.as_view(), name="figures_import"),
    path("figures/<int:pk>/", views.FigureEdit.as_view(), name="figure_edit"),
    path("figures/<int:pk>/delete/", views.FigureDelete.as_view(), name="figure_delete"),
    path("customers/<int:pk>/profile/", views.ProfileEdit.as_view(), name="profile_edit"),
    path("customers/<int:pk>/confirm/", views.GradeAction.as_view(kind="confirm"), name="confirm"),
    path("customers/<int:pk>/override/", views.GradeAction.as_view(kind="override"), name="override"),
    path("customers/<int:pk>/refresh/", views.RefreshProposal.as_view(), name="refresh"),
]
