from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Permission codes beyond the model codes (view/add/change/delete/export).
EXTRA_PERMISSIONS = {
    "blacklist.lift_blacklistentry": _("Blacklist entries: lift (company entries need a company-wide scope)"),
}

EVENTS = {
    "blacklist.added": _("Customer put on a blacklist"),
    "blacklist.requested": _("Company blacklist entry proposed"),
    "blacklist.activated": _("Company blacklist entry in force"),
    "blacklist.rejected": _("Company blacklist entry rejected"),
    "blacklist.withdrawn": _("Company blacklist proposal withdrawn"),
    "blacklist.lifted": _("Blacklist entry lifted"),
}


class BlacklistConfig(AppConfig):
    name = "guanxi.blacklist"
    label = "blacklist"
    verbose_name = _("Blacklist")

    def ready(self):
        from guanxi.approvals import registry
        from guanxi.core import events, permissions
        from guanxi.customers import duplicates
        from guanxi.customers import panels as customer_panels

        from . import (
            demo,  # noqa: F401  (registers the demo builder)
            panels,
            queries,
            services,
        )

        for code, label in EXTRA_PERMISSIONS.items():
            permissions.register(code, label)
        for code, label in EVENTS.items():
            events.register(code, label)
        registry.register(
            services.APPROVAL_ACTION,
            label=_("Company blacklist"),
            apply=services.apply_approved,
            reject=services.reject_approval,
            cancel=services.cancel_approval,
            describe=services.describe_approval,
            summary_template="blacklist/approval_summary.html",
        )
        customer_panels.register("blacklist", template="blacklist/_banner.html", context=panels.banner, position="banner", order=10)
        customer_panels.register("blacklist_entries", template="blacklist/_panel.html", context=panels.side, position="side", order=60)
        duplicates.register_hit_flags("blacklist", queries.hit_flags)
