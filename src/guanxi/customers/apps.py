from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Permission codes beyond the model codes (view/add/change/delete/export of each scoped model).
EXTRA_PERMISSIONS = {
    "customers.view_personal_contact": _("Contacts: see personal data unmasked (mobile, ID number, address, birthday, family)"),
    "customers.merge_customer": _("Customers: merge duplicates"),
    "customers.import_customer": _("Customers: import from Excel"),
    "customers.archive_customer": _("Customers: archivist work queue (filing, completeness)"),
}

# Readable names of audit event types (guanxi.core.events).
EVENTS = {
    "customer.created": _("Customer created"),
    "customer.updated": _("Customer changed"),
    "customer.deleted": _("Customer deleted"),
    "customer.merged": _("Customers merged"),
    "customer.tags_changed": _("Customer tags changed"),
    "customer.file_attached": _("File attached to a customer"),
    "customer.department_added": _("Customer department added"),
    "customer.department_updated": _("Customer department changed"),
    "customer.department_removed": _("Customer department removed"),
    "customer.member_added": _("Team member added to a customer"),
    "customer.member_removed": _("Team member removed from a customer"),
    "customer.change_report_due": _("Change report of a customer due"),
    "customer.weekly_check": _("Weekly check of new customer records"),
    "customer.archive_scanned": _("Archive scanned for duplicates"),
    "customer.finding_dismissed": _("Archive finding marked as not a problem"),
    "contact.created": _("Contact added"),
    "contact.updated": _("Contact changed"),
    "contact.removed": _("Contact removed"),
    "customers.import_uploaded": _("Customer import uploaded"),
    "customers.imported": _("Customers imported"),
    "customers.import_files_deleted": _("Import files deleted (retention period over)"),
    "handbook.downloaded": _("Customer handbook downloaded"),
    "customer.sent_back": _("Customer record sent back to its unit"),
    "customer.return_resolved": _("Sent-back customer record corrected"),
    "customers.handbook_reviewed": _("Customer handbook marked up to date"),
    "customers.handbook_reminders_sent": _("Handbook update reminders sent"),
    "personal_data.consent_given": _("Consent recorded"),
    "personal_data.consent_withdrawn": _("Consent withdrawn"),
    "personal_data.corrected": _("Personal data corrected"),
    "personal_data.erased": _("Personal data erased"),
    "personal_data.exported": _("Personal data exported for the person"),
    "personal_data.request_received": _("Request about personal data recorded"),
    "personal_data.request_closed": _("Request about personal data answered"),
}


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("Customer archive")

    def ready(self):
        from guanxi.core import events, permissions

        for code, label in EXTRA_PERMISSIONS.items():
            permissions.register(code, label)
        for code, label in EVENTS.items():
            events.register(code, label)
        try:  # the personal-data feature registers its own codes (erasure)
            from .privacy import register_permissions
        except ImportError:
            pass
        else:
            register_permissions()

        from guanxi.accounts.models import OrgUnit, Region
        from guanxi.core import choice_cache

        from . import timeline  # noqa: F401  (registers the built-in timeline sources)
        from .models import Tag

        choice_cache.watch(OrgUnit, Region, Tag)

        from . import members

        members.connect()

        from . import handbook_review, panels

        panels.register("handbook", template="customers/handbook/_review_panel.html", context=handbook_review.panel_context, order=20)
