from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

EVENTS = {
    "review.cycle_opened": _("Review cycle opened"),
    "review.cycle_closed": _("Review cycle closed"),
    "review.updated": _("Review form filled in"),
    "review.submitted": _("Review submitted for approval"),
    "review.approved": _("Review approved"),
    "review.rejected": _("Review sent back"),
    "incident.recorded": _("Incident recorded"),
    "downgrade.opened": _("Downgrade task opened"),
    "downgrade.escalated": _("Downgrade task late and escalated"),
    "downgrade.completed": _("Customer downgraded"),
    "downgrade.cancelled": _("Downgrade task closed without a downgrade"),
}


class ReviewsConfig(AppConfig):
    name = "guanxi.reviews"
    label = "reviews"
    verbose_name = _("Reviews and downgrades")

    def ready(self):
        from guanxi.approvals import registry
        from guanxi.core import events
        from guanxi.customers import panels, timeline

        from . import queries, services

        for code, label in EVENTS.items():
            events.register(code, label)
        registry.register(
            services.ACTION,
            label=_("Periodic customer review"),
            apply=services.apply_review,
            reject=services.reject_review,
            cancel=services.cancel_review,
            describe=services.describe_review,
        )
        panels.register("reviews", template="reviews/_panel.html", context=queries.panel_context, position="side", order=40)
        timeline.register(queries.timeline_items)
