"""Registry of permission codes a role can hold, with labels for the role editor.

Each scoped model gets view/add/change/delete/export; apps add their own codes in
AppConfig.ready() with register()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .querysets import SCOPED_MODELS, permission_code

EXTRA: dict[str, object] = {}
ACTIONS = {"view": _("view"), "add": _("add"), "change": _("change"), "delete": _("delete"), "export": _("export")}


def register(code: str, label) -> None:
    EXTRA[code] = label


def all_permissions() -> dict[str, str]:
    """code -> human label, grouped by model then extra codes."""
    out: dict[str, str] = {}
    for model in SCOPED_MODELS:
        for action, label in ACTIONS.items():
            out[permission_code(model, action)] = f"{model._meta.verbose_name_plural}: {label}"
    out.update({k: str(v) for k, v in EXTRA.items()})
    return out
