from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

EVENTS = {
    "admission.started": _("Admission started"),
    "admission.updated": _("Admission changed"),
    "admission.exempted": _("Customer exempted from admission"),
    "admission.exemption_removed": _("Admission exemption removed"),
    "admission.item_updated": _("Admission item changed"),
    "admission.document_added": _("Admission document uploaded"),
    "admission.document_removed": _("Admission document removed"),
    "admission.submitted": _("Admission submitted for approval"),
    "admission.approved": _("Customer admitted"),
    "admission.rejected": _("Admission rejected"),
    "admission.withdrawn": _("Admission request withdrawn"),
    "admission.expiry_reminded": _("Admission document expiry reminder sent"),
    "admission.item_expired": _("Admission document expired"),
}


class AdmissionConfig(AppConfig):
    name = "guanxi.admission"
    label = "admission"
    verbose_name = _("Admission")

    def ready(self):
        from guanxi.approvals import registry
        from guanxi.core import events
        from guanxi.customers import panels

        from . import queries, services, tasks  # noqa: F401  (tasks: registers the periodic job)

        for code, label in EVENTS.items():
            events.register(code, label)
        registry.register(
            services.ACTION,
            label=_("Customer admission"),
            apply=services.apply_approved,
            reject=services.reject_approval,
            cancel=services.cancel_approval,
            describe=services.describe_approval,
        )
        panels.register("admission", template="admission/_panel.html", context=queries.panel_context, position="side", order=40)
        panels.register("admission_expired", template="admission/_banner.html", context=queries.banner_context, position="banner", order=40)
