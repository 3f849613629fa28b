"""The application's URLs plus one the benchmark needs: an empty page behind sign-in, whose
server time is the fixed cost of any signed-in request (session, user, middleware)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


@login_required
def floor(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), path("", include("guanxi.urls"))]
