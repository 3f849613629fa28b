from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from guanxi.accounts import api as accounts_api
from guanxi.approvals import api as approvals_api
from guanxi.customers import api as customers_api
from guanxi.policy import api as policy_api

router = DefaultRouter()
for module in (accounts_api, policy_api, approvals_api, customers_api):
    module.register(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
