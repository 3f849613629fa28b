"""Readable names for audit event types. Services record stable codes ("auth.login"); pages show
the label in the user's language. Apps register their own codes in AppConfig.ready()."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Failed sign-in"),
    "auth.session_expired": _("Session expired"),
    "auth.2fa_enabled": _("Two-factor login enabled"),
    "auth.2fa_disabled": _("Two-factor login disabled"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "user.created": _("User created"),
    "user.updated": _("User changed"),
    "user.deactivated": _("User deactivated"),
    "user.reactivated": _("User reactivated"),
    "user.password_changed": _("Password changed"),
    "user.position_added": _("Position added"),
    "user.position_changed": _("Position changed"),
    "user.position_removed": _("Position removed"),
    "user.role_changed": _("Role changed"),
    "orgunit.created": _("Unit created"),
    "orgunit.updated": _("Unit changed"),
    "orgunit.moved": _("Unit moved"),
    "region.created": _("Region created"),
    "region.updated": _("Region changed"),
    "region.moved": _("Region moved"),
    "role.created": _("Role created"),
    "role.updated": _("Role changed"),
    "policy.proposed": _("Policy change proposed"),
    "policy.activated": _("Policy version activated"),
    "policy.rejected": _("Policy change rejected"),
    "policy.exported": _("Policy exported"),
    "approval.submitted": _("Approval requested"),
    "approval.approved": _("Approved"),
    "approval.rejected": _("Rejected"),
    "approval.applied": _("Approved action carried out"),
    "approval.escalated": _("Approval escalated"),
    "approval.cancelled": _("Approval request withdrawn"),
    "export.downloaded": _("Data exported"),
    "export.refused": _("Export refused (too many rows)"),
    "workdays.override_added": _("Working-day exception added"),
    "workdays.override_deleted": _("Working-day exception deleted"),
    "calendar.year_unknown": _("Holiday calendar missing"),
    "personal_data.viewed": _("Personal data viewed"),
}

SOURCES = {
    "web": _("Web"),
    "api": _("API"),
    "task": _("Background task"),
    "command": _("Command"),
    "shell": _("Shell"),
}


def register(code: str, label) -> None:
    LABELS[code] = label


def label(code: str) -> str:
    return str(LABELS.get(code, code))
