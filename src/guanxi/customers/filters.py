"""Filters of the customer list (and the API): every classification field of F-CUS-1/F-CUS-10,
the filing state (filed / due / late) and a completeness range.

Each filter narrows a queryset that already went through `restrict()`; the choice lists
(owners, units, regions, tags) are reference data and never reveal a customer. Every filter is
an indexed equality or range, so the list stays fast at a million rows.
"""

from __future__ import annotations

import copy
import operator

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

from guanxi.accounts.models import OrgUnit, Region, User
from guanxi.core import choice_cache
from guanxi.core.widgets import LeanSelect, LeanSelectMultiple, RemoteSelect

from .models import Category, Customer, Nature, Scale, Source, SpecialKind, Status, Tag

FILING_CHOICES = [
    ("filed", _("Filed")),
    ("due", _("Filing due")),
    ("late", _("Filing late")),
    ("unfiled", _("Not filed (due or late)")),
    ("change_due", _("Change report due")),
    ("change_late", _("Change report late")),
]
KEY_CHOICES = [("yes", _("Key customers only")), ("no", _("Not key customers"))]
HANDBOOK_CHOICES = [("overdue", _("Update overdue"))]

_SELECT = {"data-tom-select": ""}


def filing_q(state: str) -> Q | None:
    """Q for a filing state: customers.filing's rule (helper C) when present, else the plain
    one on the indexed columns."""
    try:
        from .filing import status_filter
    except ImportError:
        status_filter = None
    if status_filter is not None:
        return status_filter(state)
    today = timezone.localdate()
    unfiled = Q(filed_at__isnull=True)
    rules = {
        "filed": Q(filed_at__isnull=False),
        "due": unfiled & (Q(filing_deadline__gte=today) | Q(filing_deadline__isnull=True)),
        "late": unfiled & Q(filing_deadline__lt=today),
        "unfiled": unfiled,
    }
    return rules.get(state)


class _SharedFields(dict):
    """A form's base_fields that its instances use as they are: the deep copy Django makes per
    form (so that one request's changes to a field don't reach the next) is a plain dict."""

    def __deepcopy__(self, memo):
        return dict(self)


class _ShallowFilters(dict):
    """base_filters that each FilterSet copies filter by filter, shallowly: django-filter deep-
    copies every filter (its querysets, choices, widgets) per instance, which cost more than
    the list's query; nothing a request does changes a filter's settings. A copy's method hook
    is bound again so that it calls its own FilterSet."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, original in self.items():
            copied = copies[name] = copy.copy(original)
            if getattr(original, "_method", None) is not None:
                copied.method = original._method
        return copies


class _CheckedByOptions:
    """A model choice checked against the cached option list its select offers (set by
    `_with_options`) instead of by a query per page view; its value is then the id. Until a
    list is set (a field used on its own) the model field's own check runs."""

    option_ids: frozenset[str] | None = None

    def _known(self, value) -> int:
        if str(value) not in self.option_ids:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return int(value)


class CachedModelChoiceField(_CheckedByOptions, filter_fields.ModelChoiceField):
    def to_python(self, value):
        if self.option_ids is None or value in self.empty_values:
            return super().to_python(value)
        return self._known(value)


class CachedModelMultipleChoiceField(_CheckedByOptions, filter_fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        if self.option_ids is None:
            return super()._check_values(value)
        return list(dict.fromkeys(self._known(v) for v in value))


class CachedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = CachedModelChoiceField


class CachedModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = CachedModelMultipleChoiceField


_OPTIONED: dict[tuple, tuple] = {}
_tree_path = operator.attrgetter("path")


def _with_options(field, rows: list[tuple]):
    """A copy of the shared `field` whose select offers `rows` (a cached option list), kept
    per process while that list is current, so a page view neither copies the field nor
    re-checks a few hundred options."""
    key = (id(field), get_language())
    entry = _OPTIONED.get(key)
    if entry is None or entry[0] is not rows:
        copied = copy.copy(field)
        copied.widget = copy.copy(field.widget)
        empty = [("", field.empty_label)] if getattr(field, "empty_label", None) is not None else []
        copied.widget.choices = [*empty, *rows]
        if isinstance(copied, _CheckedByOptions):
            copied.option_ids = frozenset(str(pk) for pk, _label in rows)
        entry = _OPTIONED[key] = (rows, copied)
    return entry[1]


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name, pinyin, phone or credit code"))
    # distinct=False: a plain IN on one column cannot repeat rows, and DISTINCT defeats the sort index.
    category = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Category.choices, label=_("Category"), widget=LeanSelectMultiple(attrs=_SELECT)
    )
    special_kind = django_filters.ChoiceFilter(
        choices=SpecialKind.choices, label=_("Special kind"), empty_label=_("All"), widget=LeanSelect
    )
    industry = django_filters.CharFilter(label=_("Industry"), lookup_expr="exact")
    scale = django_filters.ChoiceFilter(choices=Scale.choices, label=_("Scale"), empty_label=_("All"), widget=LeanSelect)
    nature = django_filters.ChoiceFilter(choices=Nature.choices, label=_("Enterprise nature"), empty_label=_("All"), widget=LeanSelect)
    region = CachedModelChoiceFilter(
        queryset=Region.objects.filter(is_active=True).exclude(kind="district").only("id", "name", "path"),
        method="in_region",
        label=_("Region (and below)"),
        empty_label=_("All"),
        widget=LeanSelect(attrs=_SELECT),
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("Source"), empty_label=_("All"), widget=LeanSelect)
    status = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Status.choices, label=_("Status"), widget=LeanSelectMultiple(attrs=_SELECT)
    )
    tags = CachedModelMultipleChoiceFilter(
        queryset=Tag.objects.all(), method="with_tags", label=_("Tags"), widget=LeanSelectMultiple(attrs=_SELECT)
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True).order_by("full_name"),
        label=_("Owner"),
        empty_label=_("All"),
        widget=RemoteSelect("org:user_lookup"),
    )
    unit = CachedModelChoiceFilter(
        queryset=OrgUnit.objects.only("id", "name", "path"),
        method="in_unit",
        label=_("Owning unit (and below)"),
        empty_label=_("All"),
        widget=LeanSelect(attrs=_SELECT),
    )
    key = django_filters.ChoiceFilter(
        choices=KEY_CHOICES, method="key_customer", label=_("Key customer"), empty_label=_("All"), widget=LeanSelect
    )
    filing = django_filters.ChoiceFilter(
        choices=FILING_CHOICES, method="filing_state", label=_("Filing"), empty_label=_("All"), widget=LeanSelect
    )
    handbook = django_filters.ChoiceFilter(
        choices=HANDBOOK_CHOICES,
        method="handbook_state",
        label=_("Customer handbook"),
        empty_label=_("All"),
        widget=LeanSelect,
    )
    completeness_min = django_filters.NumberFilter(
        field_name="completeness", lookup_expr="gte", label=_("Completeness from %"), widget=forms.NumberInput(attrs={"min": 0, "max": 100})
    )
    completeness_max = django_filters.NumberFilter(
        field_name="completeness",
        lookup_expr="lte",
        label=_("Completeness up to %"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
    )

    def __init__(self, *args, **kwargs):
        cls = type(self)
        if not isinstance(cls.__dict__.get("base_filters"), _ShallowFilters):
            cls.base_filters = _ShallowFilters(cls.base_filters)
        super().__init__(*args, **kwargs)

    class Meta:
        model = Customer
        fields = [
            "q",
            "category",
            "special_kind",
            "industry",
            "scale",
            "nature",
            "region",
            "source",
            "status",
            "tags",
            "owner",
            "unit",
            "key",
            "filing",
            "handbook",
            "completeness_min",
            "completeness_max",
        ]

    def search(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        try:
            from .search import search_q
        except ImportError:
            search_q = None
        if search_q is not None:
            cond = search_q(value)
            return qs.filter(cond) if cond is not None else qs
        return qs.filter(Q(name__icontains=value) | Q(credit_code=value.upper()) | Q(initials__startswith=value.lower()))

    def in_region(self, qs, name, value):
        if not value:
            return qs
        # The ids themselves (a region and the few below it): the planner sees the list, not a
        # subquery it must guess at, and can check it inside the category-name index.
        top = self._path("region", value)
        if top is None:
            return qs.none()
        return qs.filter(region__in=[pk for pk, path in self._paths["region"] if path.startswith(top)])

    def in_unit(self, qs, name, value):
        if not value:
            return qs
        top = self._path("unit", value)
        if top is None:
            return qs.none()
        return qs.filter(unit__in=OrgUnit.objects.filter(path__startswith=top).values("pk"))

    def _path(self, name: str, value) -> str | None:
        """The tree path of the chosen region or unit (an id once checked by its cached options);
        None when it is gone."""
        if hasattr(value, "path"):
            return value.path
        found = next((path for pk, path in self._paths[name] if pk == value), None)
        if found is None:  # changed between the reads of its two cached lists
            model = Region if name == "region" else OrgUnit
            found = model.objects.filter(pk=value).values_list("path", flat=True).first()
        return found

    def with_tags(self, qs, name, value):
        # Any of the chosen tags; a subquery keeps one row per customer without DISTINCT.
        if not value:
            return qs
        through = Customer.tags.through
        return qs.filter(pk__in=through.objects.filter(tag__in=list(value)).values("customer_id"))

    def key_customer(self, qs, name, value):
        if value == "yes":
            return qs.filter(is_key=True)
        if value == "no":
            return qs.filter(is_key=False)
        return qs

    def filing_state(self, qs, name, value):
        q = filing_q(value)
        return qs.filter(q) if q is not None else qs

    def handbook_state(self, qs, name, value):
        from .handbook_review import overdue_q

        return qs.filter(overdue_q()) if value == "overdue" else qs

    # The option lists of these selects come from the choice cache (core.choice_cache) and also
    # check a submitted value (Cached*ChoiceFilter); the querysets above build those lists.
    CACHED_CHOICES = ("region", "unit", "tags")
    # (id, path) of every region and unit, for the trees below a chosen one.
    CACHED_PATHS = {"region": Region.objects.only("id", "path"), "unit": OrgUnit.objects.only("id", "path")}

    @classmethod
    def _form_class(cls):
        # django-filter builds a new form class (and new fields) for every instance; the fields
        # depend on nothing per request, so one class per FilterSet serves every page view, and
        # its forms share the fields instead of deep-copying them (and every choice list) each
        # time. The cached-choice selects are swapped for per-process copies (`_with_options`).
        if "_built_form_class" not in cls.__dict__:
            filters = copy.deepcopy(cls.base_filters)  # .field is kept on the filter: not on the shared ones
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), {n: f.field for n, f in filters.items()})
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._built_form_class = form_class
        return cls._built_form_class

    def get_form_class(self):
        return self._form_class()

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            fields = {name: form.fields[name] for name in self.CACHED_CHOICES}
            specs = {f"customer_filter_{name}": (field.queryset, field.label_from_instance) for name, field in fields.items()}
            specs.update({f"customer_filter_{name}_paths": (qs, _tree_path) for name, qs in self.CACHED_PATHS.items()})
            lists = choice_cache.choice_lists(specs)
            self._choices = {name: lists[f"customer_filter_{name}"] for name in fields}
            self._paths = {name: lists[f"customer_filter_{name}_paths"] for name in self.CACHED_PATHS}
            for name, field in fields.items():
                form.fields[name] = _with_options(field, self._choices[name])
        return self._form

    def tag_names(self) -> list[str]:
        self.form  # noqa: B018 (reads the cached choices)
        return [label for _pk, label in self._choices["tags"]]

    @property
    def is_filtered(self) -> bool:
        data = self.form.data if self.is_bound else {}
        return any(data.get(name) for name in self.filters)
