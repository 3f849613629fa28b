from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from guanxi.accounts import api as accounts_api
from guanxi.admission import api as admission_api
from guanxi.approvals import api as approvals_api
from guanxi.blacklist import api as blacklist_api
from guanxi.customers import api as customers_api
from guanxi.grading import api as grading_api
from guanxi.notifications import api as notifications_api
from guanxi.policy import api as policy_api
from guanxi.reviews import api as reviews_api

router = DefaultRouter()
for module in (
    accounts_api,
    policy_api,
    approvals_api,
    customers_api,
    notifications_api,
    grading_api,
    reviews_api,
    admission_api,
    blacklist_api,
):
    module.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
