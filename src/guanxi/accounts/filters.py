"""List filters (django-filter) for the organisation pages and the API; every choice list is
restricted to what the acting user may see."""

import django_filters
from django.db.models import Q
from django.forms.widgets import NullBooleanSelect
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import DataScope, OrgUnit, Position, Region, Role, User


def _units(request):
    return OrgUnit.objects.restrict(getattr(request, "user", None), "view") if request is not None else OrgUnit.objects.none()


def _regions(request):
    return Region.objects.restrict(getattr(request, "user", None), "view") if request is not None else Region.objects.none()


def _roles(request):
    return Role.objects.restrict(getattr(request, "user", None), "view") if request is not None else Role.objects.none()


@extend_schema_field(OpenApiTypes.INT)
class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice of one object by id (typed as an integer in the API schema)."""


class ActiveSelect(NullBooleanSelect):
    """ "All / yes / no" rather than Django's "unknown / yes / no" for a filter."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    unit = IdChoiceFilter(queryset=_units, method="in_unit", label=_("Unit (and below)"))
    role = IdChoiceFilter(queryset=_roles, method="with_role", label=_("Role"))
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=ActiveSelect)

    class Meta:
        model = User
        fields = ["q", "unit", "role", "is_active"]

    def search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(username__icontains=value) | Q(full_name__icontains=value) | Q(employee_no__icontains=value) | Q(email__icontains=value)
        )

    def in_unit(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(pk__in=Position.objects.filter(unit__path__startswith=value.path).values("user_id"))

    def with_role(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(pk__in=Position.objects.filter(role=value).values("user_id"))


class OrgUnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=OrgUnit._meta.get_field("kind").choices, label=_("Kind"))
    region = django_filters.ModelChoiceFilter(queryset=_regions, label=_("Region"))
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=ActiveSelect)

    class Meta:
        model = OrgUnit
        fields = ["q", "kind", "region", "is_active"]

    def search(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs


class RegionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=Region._meta.get_field("kind").choices, label=_("Kind"))
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=ActiveSelect)

    class Meta:
        model = Region
        fields = ["q", "kind", "is_active"]

    def search(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else qs


class RoleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    data_scope = django_filters.ChoiceFilter(choices=DataScope.choices, label=_("Data scope"))
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=ActiveSelect)

    class Meta:
        model = Role
        fields = ["q", "data_scope", "is_active"]

    def search(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(name_en__icontains=value) | Q(code__icontains=value)) if value else qs
