"""Data for the page shell (base.html): the user's roles, languages (the menu is the
{% nav_menu %} tag)."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _roles(user):
    """The names of the user's current roles (kept with the principal: no query)."""

    def load():
        from guanxi.accounts.access import principal_for

        principal = principal_for(user)
        return principal.role_names() if principal is not None else []

    return SimpleLazyObject(load)


def shell(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "user_roles": _roles(user) if signed_in else [],
        "shell_languages": settings.LANGUAGES,
    }
