from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "guanxi.policy"
    label = "policy"
    verbose_name = _("Policy")

    def ready(self):
        from guanxi.approvals import registry

        from . import services

        registry.register(
            services.ACTION,
            label=_("Policy change"),
            apply=services.apply_approved,
            reject=services.reject_approval,
            cancel=services.cancel_approval,
            describe=services.describe_approval,
            summary_template="policy/approval_summary.html",
        )
