from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

EXTRA_PERMISSIONS = {
    "grading.confirm_grade": _("Grades: confirm the proposal or set a grade by hand"),
    "grading.run_proposals": _("Grades: start the proposal run for every customer"),
    "grading.import_businessfigure": _("Business figures: import from Excel"),
}

EVENTS = {
    "grading.grade_confirmed": _("Grade confirmed"),
    "grading.grade_overridden": _("Grade set by hand"),
    "grading.grade_set": _("Grade changed"),
    "grading.proposals_run": _("Grade proposals computed"),
    "grading.figure_saved": _("Business figures saved"),
    "grading.figure_deleted": _("Business figures deleted"),
    "grading.figures_imported": _("Business figures imported"),
    "grading.profile_saved": _("Grading profile saved"),
}


def _customer_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    from .services import sync_customer

    sync_customer(instance, created=created)


def _panel(customer, user):
    from .queries import panel

    return panel(customer, user)


class GradingConfig(AppConfig):
    name = "guanxi.grading"
    label = "grading"
    verbose_name = _("Grading")

    def ready(self):
        from django.db.models.signals import post_save

        from guanxi.core import events, permissions
        from guanxi.customers import panels
        from guanxi.customers.models import Customer

        for code, label in EXTRA_PERMISSIONS.items():
            permissions.register(code, label)
        for code, label in EVENTS.items():
            events.register(code, label)
        panels.register("grading", template="grading/_panel.html", context=_panel, position="main", order=20)
        post_save.connect(_customer_saved, sender=Customer, dispatch_uid="grading.sync_customer")
        from . import demo, tasks  # noqa: F401  (register the demo builder and the periodic run)
