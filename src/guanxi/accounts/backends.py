from django.contrib.auth.backends import ModelBackend

from .access import principal_for


class PositionBackend(ModelBackend):
    """Password login, with permissions taken from the roles of the user's positions
    (Django groups and per-user permissions are not used)."""

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        p = principal_for(user_obj)
        return p.permissions if p else set()

    def has_perm(self, user_obj, perm, obj=None):
        p = principal_for(user_obj)
        return p is not None and p.has_perm(perm)
