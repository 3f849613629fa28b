"""Generic views that cannot skip the data scope (after NetBox's one-declaration-per-view).

A concrete view declares `model` (and a form, filterset, columns, template); the queryset
always comes from `restrict(user, action)`. Missing permission → 403; object out of scope →
404, exactly as if it did not exist. Writes go through a service named by the view.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views import generic

from .errors import DomainError
from .querysets import permission_code


class ScopedMixin(LoginRequiredMixin):
    model = None
    action = "view"

    def permission(self) -> str:
        return permission_code(self.model, self.action)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(self.permission()):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self):
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.base_queryset().restrict(self.request.user, self.action)


class ObjectListView(ScopedMixin, generic.ListView):
    """List with filters (django-filter), ?sort= on declared columns and pagination that does
    not count the whole table on every page (a count is shown only when cheap)."""

    template_name = "core/object_list.html"
    paginate_by = 50
    filterset_class = None
    sortable: tuple[str, ...] = ()
    default_sort = "-pk"
    columns: tuple[str, ...] = ()
    title = None

    def get_queryset(self):
        qs = super().get_queryset()
        self.filterset = self.filterset_class(self.request.GET, queryset=qs, request=self.request) if self.filterset_class else None
        if self.filterset is not None:
            qs = self.filterset.qs
        sort = self.request.GET.get("sort", self.default_sort)
        if sort.lstrip("-") in self.sortable or sort == self.default_sort:
            qs = qs.order_by(sort, "pk")
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            filterset=self.filterset,
            columns=self.columns,
            sort=self.request.GET.get("sort", self.default_sort),
            title=self.title or self.model._meta.verbose_name_plural,
            model_opts=self.model._meta,
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx["querystring"] = query.urlencode()
        return ctx


class ObjectDetailView(ScopedMixin, generic.DetailView):
    template_name = "core/object_detail.html"


class ServiceFormMixin:
    """Create/edit: the form validates input; `perform(form)` calls the service. A DomainError
    becomes a form error and the input stays on the page."""

    success_message = None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def perform(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            return self.form_invalid(form)
        messages.success(self.request, self.success_message or _("Saved."))
        return HttpResponseRedirect(self.get_success_url())


class ObjectCreateView(ScopedMixin, ServiceFormMixin, generic.CreateView):
    action = "add"
    template_name = "core/object_form.html"


class ObjectEditView(ScopedMixin, ServiceFormMixin, generic.UpdateView):
    action = "change"
    template_name = "core/object_form.html"


class ObjectDeleteView(ScopedMixin, generic.DeleteView):
    action = "delete"
    template_name = "core/object_confirm_delete.html"

    def perform(self, obj):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.perform(self.object)
        except DomainError as exc:
            messages.error(self.request, str(exc))
            return HttpResponseRedirect(self.request.path)
        messages.success(self.request, _("Deleted."))
        return HttpResponseRedirect(self.get_success_url())


def paginate(request, queryset, per_page=50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
