"""Organisation management pages: users (with their positions), units, regions, roles.

Every page goes through guanxi.core.generic (permission → 403, restrict() → 404 out of scope);
writes go through accounts.services.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core import audit
from guanxi.core.errors import DomainError
from guanxi.core.generic import ObjectCreateView, ObjectDetailView, ObjectEditView, ObjectListView, ScopedMixin
from guanxi.core.querysets import permission_code

from . import queries, services
from .filters import OrgUnitFilter, RegionFilter, RoleFilter, UserFilter
from .forms import OrgUnitForm, PositionEditForm, PositionForm, RegionForm, RoleForm, UserCreateForm, UserEditForm
from .models import OrgUnit, Position, Region, Role, User

# ------------------------------------------------------------------ users


class UserListView(ObjectListView):
    model = User
    template_name = "accounts/user_list.html"
    filterset_class = UserFilter
    sortable = ("username", "full_name", "employee_no", "last_login", "is_active")
    default_sort = "username"
    columns = ("username", "full_name", "employee_no", "is_active", "last_login")
    title = gettext_lazy("Users")
    add_url_name = "org:user_create"

    def get_queryset(self):
        return queries.users_with_positions(super().get_queryset())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_export"] = self.request.user.has_perm(permission_code(User, "export"))
        return ctx


def _can_change(request, obj) -> bool:
    model = type(obj)
    return (
        request.user.has_perm(permission_code(model, "change"))
        and model._default_manager.restrict(request.user, "change").filter(pk=obj.pk).exists()
    )


def _user_context(request, user, position_form=None):
    can_change = _can_change(request, user)
    positions = list(queries.positions_of(user))
    edit_forms = {}
    if can_change:
        for pos in positions:
            edit_forms[pos.pk] = PositionEditForm(
                user=request.user,
                prefix=f"pos{pos.pk}",
                initial={
                    "role": pos.role_id,
                    "reports_to": pos.reports_to_id,
                    "is_primary": pos.is_primary,
                    "valid_from": pos.valid_from,
                    "valid_until": pos.valid_until,
                },
            )
    for pos in positions:
        pos.edit_form = edit_forms.get(pos.pk)
    return {
        "object": user,
        "positions": positions,
        "can_change": can_change,
        "position_form": position_form or (PositionForm(user=request.user) if can_change else None),
        "active_sessions": user.login_sessions.count(),
    }


class UserDetailView(ObjectDetailView):
    model = User
    template_name = "accounts/user_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(_user_context(self.request, self.object))
        return ctx


class UserCreateView(ObjectCreateView):
    model = User
    form_class = UserCreateForm
    template_name = "accounts/object_form.html"
    success_message = gettext_lazy("The user was created.")

    def perform(self, form):
        d = form.cleaned_data
        user = services.create_user(
            username=d["username"],
            password=d.get("password1") or None,
            full_name=d.get("full_name", ""),
            email=d.get("email", ""),
            employee_no=d.get("employee_no", ""),
            mobile=d.get("mobile", ""),
            language=d.get("language") or "zh-hans",
        )
        if d.get("unit") and d.get("role"):
            services.assign_position(user, unit=d["unit"], role=d["role"], reports_to=d.get("reports_to"))
        return user

    def get_success_url(self):
        return self.object.get_absolute_url()


class UserEditView(ObjectEditView):
    model = User
    form_class = UserEditForm
    template_name = "accounts/object_form.html"

    def perform(self, form):
        user = User.objects.get(pk=self.object.pk)
        fields = {k: form.cleaned_data[k] for k in UserEditForm.Meta.fields}
        services.update_user(user, **fields)
        if form.cleaned_data.get("new_password"):
            keep = self.request.session.session_key if user.pk == self.request.user.pk else None
            services.set_password(user, form.cleaned_data["new_password"], keep_session_key=keep)
            if keep:
                from django.contrib.auth import update_session_auth_hash

                update_session_auth_hash(self.request, user)
        return user

    def get_success_url(self):
        return self.object.get_absolute_url()


class UserActionView(ScopedMixin, View):
    """A POST action on one user (GET shows a confirmation page)."""

    model = User
    action = "change"
    template_name = "accounts/user_confirm.html"
    confirm_title = ""
    confirm_text = ""
    button = ""

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get(self, request, pk):
        obj = self.get_object()
        return render(
            request, self.template_name, {"object": obj, "title": self.confirm_title, "text": self.confirm_text, "button": self.button}
        )

    def post(self, request, pk):
        obj = self.get_object()
        try:
            self.perform(obj)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, self.done_message)
        return HttpResponseRedirect(obj.get_absolute_url())


class UserDeactivateView(UserActionView):
    confirm_title = gettext_lazy("Deactivate user")
    confirm_text = gettext_lazy(
        "The user is signed out everywhere at once and all of their API tokens are revoked. Their records and history stay."
    )
    button = gettext_lazy("Deactivate")
    done_message = gettext_lazy("The user was deactivated; all sessions ended and API tokens revoked.")

    def perform(self, obj):
        services.deactivate_user(obj, reason=self.request.POST.get("reason", ""))


class UserReactivateView(UserActionView):
    confirm_title = gettext_lazy("Reactivate user")
    confirm_text = gettext_lazy("The user can sign in again with their password.")
    button = gettext_lazy("Reactivate")
    done_message = gettext_lazy("The user was reactivated.")

    def perform(self, obj):
        services.reactivate_user(obj)


class PositionAddView(ScopedMixin, View):
    model = User
    action = "change"
    http_method_names = ["post"]

    def post(self, request, pk):
        user = get_object_or_404(self.get_queryset(), pk=pk)
        form = PositionForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.assign_position(
                    user,
                    unit=d["unit"],
                    role=d["role"],
                    reports_to=d["reports_to"],
                    is_primary=d["is_primary"],
                    valid_from=d["valid_from"],
                    valid_until=d["valid_until"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("The position was added."))
                return HttpResponseRedirect(user.get_absolute_url())
        ctx = _user_context(request, user, position_form=form)
        return render(request, "accounts/user_detail.html", ctx, status=400)


class PositionChangeView(ScopedMixin, View):
    model = User
    action = "change"
    http_method_names = ["post"]

    def post(self, request, pk, position_pk):
        user = get_object_or_404(self.get_queryset(), pk=pk)
        position = get_object_or_404(Position, pk=position_pk, user=user)
        if "remove" in request.POST:
            services.remove_position(position)
            messages.success(request, _("The position was removed."))
            return HttpResponseRedirect(user.get_absolute_url())
        form = PositionEditForm(request.POST, user=request.user, prefix=f"pos{position.pk}")
        if not form.is_valid():
            messages.error(
                request,
                _("The position was not changed: %(errors)s") % {"errors": "; ".join(e for errs in form.errors.values() for e in errs)},
            )
            return HttpResponseRedirect(user.get_absolute_url())
        d = form.cleaned_data
        try:
            services.change_role(position, d["role"])
            services.update_position(
                position, reports_to=d["reports_to"], is_primary=d["is_primary"], valid_from=d["valid_from"], valid_until=d["valid_until"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The position was changed."))
        return HttpResponseRedirect(user.get_absolute_url())


def neutralise(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class UserExportView(ScopedMixin, View):
    """CSV export of the filtered user list (export is its own permission; every export is
    audited with its row count)."""

    model = User
    action = "export"

    def get(self, request):
        qs = queries.users_with_positions(self.get_queryset())
        qs = UserFilter(request.GET, queryset=qs, request=request).qs.order_by("username", "pk")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="users-{stamp}.csv"'
        response.write("\ufeff")  # Excel reads UTF-8 only with a BOM
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Username"),
                _("Full name"),
                _("Employee number"),
                _("Email"),
                _("Mobile"),
                _("Units"),
                _("Roles"),
                _("Active"),
                _("Last login"),
            ]
        )
        rows = 0
        for u in qs:
            positions = list(u.positions.all())
            writer.writerow(
                [
                    neutralise(v)
                    for v in (
                        u.username,
                        u.full_name,
                        u.employee_no,
                        u.email,
                        u.mobile,
                        " / ".join(p.unit.name for p in positions),
                        " / ".join(str(p.role) for p in positions),
                        _("yes") if u.is_active else _("no"),
                        timezone.localtime(u.last_login).strftime("%Y-%m-%d %H:%M") if u.last_login else "",
                    )
                ]
            )
            rows += 1
        filters = {k: v for k, v in request.GET.items() if k != "page"}
        audit.record("export.downloaded", data={"model": "accounts.user", "rows": rows, "format": "csv", "filters": filters})
        return response


# ------------------------------------------------------------------ units and regions


class TreeListView(ObjectListView):
    """The tree in display order, indented by depth; with a filter or a sort it is a flat list."""

    template_name = "accounts/tree_list.html"
    paginate_by = 500

    def get_queryset(self):
        qs = super().get_queryset()
        filtered = any(v for k, v in self.request.GET.items() if k not in ("page",))
        self.as_tree = not filtered
        return queries.tree_order(qs) if self.as_tree else qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["as_tree"] = self.as_tree
        return ctx


class UnitListView(TreeListView):
    model = OrgUnit
    filterset_class = OrgUnitFilter
    sortable = ("name", "code", "kind")
    default_sort = "path"
    columns = ("name", "code", "kind", "region", "is_active")
    title = gettext_lazy("Organisation units")
    add_url_name = "org:unit_create"

    def base_queryset(self):
        return OrgUnit.objects.select_related("region").annotate(member_count=Count("positions__user", distinct=True))


class RegionListView(TreeListView):
    model = Region
    filterset_class = RegionFilter
    sortable = ("name", "code", "kind")
    default_sort = "path"
    columns = ("name", "code", "kind", "is_active")
    title = gettext_lazy("Regions")
    add_url_name = "org:region_create"


class UnitDetailView(ObjectDetailView):
    model = OrgUnit
    template_name = "accounts/unit_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        unit = self.object
        visible_units = OrgUnit.objects.restrict(self.request.user, "view")
        visible_users = User.objects.restrict(self.request.user, "view")
        ctx.update(
            ancestors=list(visible_units.filter(pk__in=unit.ancestors_ids()).order_by("depth")),
            children=queries.tree_order(visible_units.filter(parent=unit)),
            members=Position.objects.filter(unit=unit, user__in=visible_users)
            .select_related("user", "role", "reports_to")
            .order_by("user__username"),
            can_change=_can_change(self.request, unit),
        )
        return ctx


class RegionDetailView(ObjectDetailView):
    model = Region
    template_name = "accounts/region_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        region = self.object
        visible = Region.objects.restrict(self.request.user, "view")
        ctx.update(
            ancestors=list(visible.filter(pk__in=region.ancestors_ids()).order_by("depth")),
            children=queries.tree_order(visible.filter(parent=region)),
            units=OrgUnit.objects.restrict(self.request.user, "view").filter(region=region),
            can_change=_can_change(self.request, region),
        )
        return ctx


class _TreeCreateView(ObjectCreateView):
    template_name = "accounts/object_form.html"

    def get_initial(self):
        initial = super().get_initial()
        if parent := self.request.GET.get("parent"):
            initial["parent"] = parent
        return initial

    def get_success_url(self):
        return self.object.get_absolute_url()


class UnitCreateView(_TreeCreateView):
    model = OrgUnit
    form_class = OrgUnitForm

    def perform(self, form):
        return services.create_org_unit(**form.cleaned_data)


class UnitEditView(ObjectEditView):
    model = OrgUnit
    form_class = OrgUnitForm
    template_name = "accounts/object_form.html"

    def perform(self, form):
        return services.update_org_unit(OrgUnit.objects.get(pk=self.object.pk), **form.cleaned_data)

    def get_success_url(self):
        return self.object.get_absolute_url()


class RegionCreateView(_TreeCreateView):
    model = Region
    form_class = RegionForm

    def perform(self, form):
        return services.create_region(**form.cleaned_data)


class RegionEditView(ObjectEditView):
    model = Region
    form_class = RegionForm
    template_name = "accounts/object_form.html"

    def perform(self, form):
        return services.update_region(Region.objects.get(pk=self.object.pk), **form.cleaned_data)

    def get_success_url(self):
        return self.object.get_absolute_url()


# ------------------------------------------------------------------ roles


class RoleListView(ObjectListView):
    model = Role
    template_name = "accounts/role_list.html"
    filterset_class = RoleFilter
    sortable = ("code", "name", "data_scope")
    default_sort = "code"
    columns = ("code", "name", "name_en", "data_scope", "require_2fa", "is_active")
    title = gettext_lazy("Roles")
    add_url_name = "org:role_create"

    def base_queryset(self):
        return Role.objects.annotate(holder_count=Count("positions__user", distinct=True))


class RoleDetailView(ObjectDetailView):
    model = Role
    template_name = "accounts/role_detail.html"

    def get_context_data(self, **kwargs):
        from guanxi.core.permissions import all_permissions

        ctx = super().get_context_data(**kwargs)
        labels = all_permissions()
        role = self.object
        ctx.update(
            permission_rows=[(code, labels.get(code, "")) for code in sorted(role.permissions or [])],
            holders=Position.objects.filter(role=role, user__in=User.objects.restrict(self.request.user, "view"))
            .select_related("user", "unit")
            .order_by("user__username"),
            can_change=_can_change(self.request, role),
        )
        return ctx


class RoleCreateView(ObjectCreateView):
    model = Role
    form_class = RoleForm
    template_name = "accounts/object_form.html"

    def perform(self, form):
        return services.create_role(**form.cleaned_data)

    def get_success_url(self):
        return self.object.get_absolute_url()


class RoleEditView(ObjectEditView):
    model = Role
    form_class = RoleForm
    template_name = "accounts/object_form.html"

    def perform(self, form):
        fields = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        return services.update_role(Role.objects.get(pk=self.object.pk), **fields)

    def get_success_url(self):
        return self.object.get_absolute_url()


# ------------------------------------------------------------------ lookups


LOOKUP_LIMIT = 20


class UserLookupView(ScopedMixin, View):
    """JSON for searchable user selects (core.widgets.RemoteSelect): active users in the
    caller's scope whose name, username or employee number contains `q`, at most 20."""

    model = User
    action = "view"

    def get(self, request):
        q = (request.GET.get("q") or "").strip()[:50]
        qs = User.objects.restrict(request.user, "view").filter(is_active=True)
        if q:
            qs = qs.filter(Q(full_name__icontains=q) | Q(username__icontains=q) | Q(employee_no__icontains=q))
        rows = qs.order_by("full_name", "username").values_list("pk", "full_name", "username")[:LOOKUP_LIMIT]
        return JsonResponse({"results": [{"value": pk, "text": full or username} for pk, full, username in rows]})
