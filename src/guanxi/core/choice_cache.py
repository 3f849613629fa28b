"""Option lists of model selects, kept in the shared cache until a row of the model changes.

A filter form offers the same units, regions and tags on every page view; reading and turning
them into model objects each time cost more than the list's own query. `choice_lists()` keeps the
(value, label) pairs per language under a version per model, which any save or delete of that
model replaces (`watch()` in an AppConfig.ready, so every process bumps it). Each process
also keeps the lists it read under their version, so a page view costs one cache read per
model (the version), not a transfer and unpickling of every list.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language

from . import cache_versions
from .memo import remember

TTL = 3600
_LOCAL_MAX = 64
_local: dict[tuple, list[tuple]] = {}


def _version_key(model) -> str:
    return f"guanxi:choices-version:{model._meta.label_lower}"


def _bump(sender, **kwargs) -> None:
    cache_versions.bump(_version_key(sender))


def watch(*models) -> None:
    for model in models:
        uid = f"guanxi_choice_cache_{model._meta.label_lower}"
        post_save.connect(_bump, sender=model, dispatch_uid=uid)
        post_delete.connect(_bump, sender=model, dispatch_uid=uid)


def choice_lists(specs: dict[str, tuple]) -> dict[str, list[tuple]]:
    """{name: [(pk, label), …]} for {name: (queryset, label)} (querysets of watched models),
    from the cache when current; the versions of their models are read at once."""
    versions = cache_versions.current_many([_version_key(qs.model) for qs, _label in specs.values()])
    language = get_language()
    out = {}
    for name, (queryset, label) in specs.items():
        key = f"guanxi:choices:{name}:{versions[_version_key(queryset.model)]}:{language}"

        def shared(key=key, queryset=queryset, label=label):
            rows = cache.get(key)
            if rows is None:
                rows = [(obj.pk, str(label(obj))) for obj in queryset.all()]  # a clone: the caller's may be shared
                cache.set(key, rows, TTL)
            return rows

        out[name] = remember(_local, key, shared, limit=_LOCAL_MAX)
    return out
