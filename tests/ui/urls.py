"""Test-only URLconf: the real site plus views that fail on purpose, and a generic detail page
(core/object_detail.html) for a model that has history."""

from django.core.exceptions import PermissionDenied
from django.urls import include, path

from guanxi.core.generic import ObjectDetailView
from guanxi.core.models import WorkdayOverride


def boom(request):
    raise RuntimeError("internal detail that must never reach the browser")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("test-boom/", boom),
    path("test-forbidden/", forbidden),
    path("test-workday/<int:pk>/", ObjectDetailView.as_view(model=WorkdayOverride), name="test-workday"),
    path("", include("guanxi.urls")),
]

handler403 = "guanxi.core.views.error_403"
handler404 = "guanxi.core.views.error_404"
handler500 = "guanxi.core.views.error_500"
