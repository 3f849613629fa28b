"""Personal data of contacts (F-ORG-5, F-SEC-3)."""

from django.urls import path

from . import views_privacy as views

urlpatterns = [
    path("contacts/<int:pk>/privacy/", views.contact_privacy, name="contact_privacy"),
    path("contacts/<int:pk>/reveal/", views.reveal_personal, name="reveal_personal"),
    path("contacts/<int:pk>/consents/add/", views.consent_add, name="consent_add"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("contacts/<int:pk>/data-export/", views.contact_data_export, name="contact_data_export"),
    path("contacts/<int:pk>/correct/", views.contact_correct, name="contact_correct"),
    path("contacts/<int:pk>/erase/", views.contact_erase, name="contact_erase"),
    path("contacts/<int:pk>/requests/add/", views.request_add, name="personal_request_add"),
    path("personal-data-requests/", views.request_list, name="personal_requests"),
    path("personal-data-requests/<int:pk>/close/", views.request_close, name="personal_request_close"),
]
