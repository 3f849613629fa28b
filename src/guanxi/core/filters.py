"""Filters of the audit page."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent

SOURCES = [("web", _("Web")), ("api", _("API")), ("task", _("Background task")), ("command", _("Command")), ("shell", _("Shell"))]


class ContentTypeField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        model = obj.model_class()
        return str(model._meta.verbose_name) if model is not None else f"{obj.app_label}.{obj.model}"


class ContentTypeFilter(django_filters.ModelChoiceFilter):
    field_class = ContentTypeField


class AuditEventFilter(django_filters.FilterSet):
    event_type = django_filters.ChoiceFilter(
        label=_("Event"), choices=[], empty_label=_("All"), widget=forms.Select(attrs={"data-tom-select": ""})
    )
    actor = django_filters.ModelChoiceFilter(
        label=_("Actor"), queryset=get_user_model().objects.none(), empty_label=_("All"), widget=forms.Select(attrs={"data-tom-select": ""})
    )
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="occurred_at", lookup_expr="date__gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="occurred_at", lookup_expr="date__lte", widget=forms.DateInput(attrs={"type": "date"})
    )
    subject_type = ContentTypeFilter(label=_("Subject type"), queryset=ContentType.objects.none(), empty_label=_("All"))
    subject_id = django_filters.CharFilter(label=_("Subject id"), widget=forms.HiddenInput)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=SOURCES, empty_label=_("All"))

    class Meta:
        model = AuditEvent
        fields = ["event_type", "actor", "date_from", "date_to", "subject_type", "subject_id", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        events = self.queryset
        types = events.order_by().values_list("event_type", flat=True).distinct()
        self.filters["event_type"].extra["choices"] = [(t, t) for t in sorted(types)]
        self.filters["actor"].queryset = get_user_model().objects.restrict(user, "view")
        type_ids = events.order_by().exclude(subject_type=None).values_list("subject_type", flat=True).distinct()
        self.filters["subject_type"].queryset = ContentType.objects.filter(pk__in=type_ids).order_by("app_label", "model")
