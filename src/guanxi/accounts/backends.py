from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from guanxi.core import cache_versions

from .access import ACCESS_VERSION_KEY, principal_for

USER_CACHE_TTL = 600


def user_cache_key(user_id) -> str:
    return f"guanxi:user:{user_id}"


# Per-user cache keys read in the same round trip as the user row (cache_versions.read_along),
# e.g. the unread count every page's bell shows: registered by the app that owns the key.
READ_ALONG: list = []


def read_along_with_user(key_for_user_id) -> None:
    if key_for_user_id not in READ_ALONG:
        READ_ALONG.append(key_for_user_id)


def forget_user(user_id) -> None:
    """Drops the cached user row (now and at commit); every save or delete of a user does."""
    cache_versions.forget([user_cache_key(user_id)])


class PositionBackend(ModelBackend):
    """Password login, with permissions taken from the roles of the user's positions
    (Django groups and per-user permissions are not used).

    Every request loads the signed-in user; the row is kept in the shared cache (one read
    instead of a query and a model built from it) and dropped whenever it is saved. The same
    read brings the access version, which the user's principal is looked up by, and the keys
    registered with read_along_with_user."""

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        along = [key_for(user_id) for key_for in READ_ALONG]
        found = cache.get_many([key, ACCESS_VERSION_KEY, *along])
        cache_versions.keep_read_along({k: found[k] for k in (*along, ACCESS_VERSION_KEY) if k in found})
        user = found.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, USER_CACHE_TTL)
        elif not self.user_can_authenticate(user):
            return None
        return user

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
