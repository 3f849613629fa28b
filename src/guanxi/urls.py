from django.conf import settings
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from guanxi.core import views as core_views

urlpatterns = [
    path("", core_views.dashboard, name="dashboard"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("language/", core_views.switch_language, name="switch_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("guanxi.accounts.urls")),
    path("org/", include("guanxi.accounts.org_urls")),
    path("policy/", include("guanxi.policy.urls")),
    path("approvals/", include("guanxi.approvals.urls")),
    path("audit/", include("guanxi.core.urls")),
    path("customers/", include("guanxi.customers.urls")),
    path("notifications/", include("guanxi.notifications.urls")),
    path("grading/", include("guanxi.grading.urls")),
    path("reviews/", include("guanxi.reviews.urls")),
    path("admission/", include("guanxi.admission.urls")),
    path("blacklist/", include("guanxi.blacklist.urls")),
    path("api/", include("guanxi.api_urls")),
]

handler403 = "guanxi.core.views.error_403"
handler404 = "guanxi.core.views.error_404"
handler500 = "guanxi.core.views.error_500"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
