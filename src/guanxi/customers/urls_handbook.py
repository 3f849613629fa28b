from django.urls import path

from . import views_handbook

urlpatterns = [
    path("<int:pk>/handbook.pdf", views_handbook.handbook_pdf, name="handbook_pdf"),
    path("<int:pk>/handbook.xlsx", views_handbook.handbook_xlsx, name="handbook_xlsx"),
    path("<int:pk>/handbook/updated/", views_handbook.HandbookReviewedView.as_view(), name="handbook_reviewed"),
]
