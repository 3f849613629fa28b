"""Data scope, enforced in one place (ARCHITECTURE "Data scope").

Every model holding scoped data uses ScopedQuerySet and declares `scope_q(principal, level)`,
returning the Q for one scope level narrower than "all". `restrict(user, action)` asks the
user's roles (guanxi.accounts.access) which level applies for that model and action and
filters accordingly; no permission at all gives an empty queryset. Views, the API, form
choices, exports and reports all start from `restrict()`.

A model whose scope is an OR of independent conditions (own customers, or those of a team
one belongs to) may also declare `scope_branches(principal, level)`, the list of those Qs:
`restrict_branches()` gives one queryset per branch, so that a "newest first, one page" read
can walk each branch's own index instead of one index filtered by the OR.
"""

from django.db import models

SCOPED_MODELS: list[type[models.Model]] = []


def permission_code(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        from guanxi.accounts.access import principal_for

        principal = principal_for(user)
        if principal is None:
            return self.none()
        level = principal.scope_level(self.model, action)
        if level is None:
            return self.none()
        if level == "all":
            return self
        # scope_q returns pk__in subqueries where a join could repeat rows, so no distinct().
        return self.filter(self.model.scope_q(principal, level))

    def restrict_branches(self, user, action: str = "view") -> list:
        """Querysets whose union (`|`) is `restrict(user, action)`: one per branch of an OR
        scope, else just the one."""
        from guanxi.accounts.access import principal_for

        principal = principal_for(user)
        level = principal.scope_level(self.model, action) if principal is not None else None
        if level in (None, "all") or not hasattr(self.model, "scope_branches"):
            return [self.restrict(user, action)]
        return [self.filter(q) for q in self.model.scope_branches(principal, level)]


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


def register_scoped(model):
    """Class decorator: marks a model as scoped, so the shared test matrix must cover it."""
    if model not in SCOPED_MODELS:
        SCOPED_MODELS.append(model)
    return model
