"""Data for the page shell (base.html): menu, the user's roles, languages."""

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
    from .navigation import menu_for

    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "nav_menu": menu_for(request) if signed_in else [],
        "user_roles": _roles(user) if signed_in else [],
        "shell_languages": settings.LANGUAGES,
    }
