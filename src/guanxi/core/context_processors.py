"""Data for the page shell (base.html): menu, the user's roles, languages."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject


def _roles(user):
    """The names of the user's current roles (one query, only when the template asks)."""

    def load():
        from guanxi.accounts.access import principal_for
        from guanxi.accounts.models import Role

        principal = principal_for(user)
        if principal is None or not principal.role_ids:
            return []
        return [str(role) for role in Role.objects.filter(pk__in=principal.role_ids).order_by("code")]

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
