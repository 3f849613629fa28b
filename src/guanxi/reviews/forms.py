from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import OrgUnit
from guanxi.core.forms import ScopedFormMixin, ScopedModelForm
from guanxi.customers.models import Customer

from . import grades, services
from .models import Incident, Review


class ReviewForm(ScopedModelForm):
    class Meta:
        model = Review
        fields = ["contract_performance", "payment_timeliness", "credit", "result", "proposed_level", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            scheme = grades.scheme_for(self.instance.customer)
        except Exception:  # grading not available: a free code field
            scheme = None
        if scheme is not None:
            self.fields["proposed_level"] = forms.ChoiceField(
                label=_("Proposed grade"),
                required=False,
                choices=[("", _("No change")), *grades.choices(scheme)],
                help_text=_("Applied after the department manager's approval and finance's review."),
            )
            if not self.instance.proposed_level and self.instance.suggested_level and not self.is_bound:
                self.initial["proposed_level"] = self.instance.suggested_level


class IncidentForm(ScopedModelForm):
    class Meta:
        model = Incident
        fields = ["customer", "kind", "serious", "date", "description"]
        widgets = {
            "customer": forms.Select(attrs={"data-tom-select": ""}),
            "date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.live().restrict(self.user, "view").order_by("name")
        self.fields["date"].initial = timezone.localdate()


class OpenCycleForm(ScopedFormMixin, forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = services.openable_units(self.user).order_by("path")


class CompleteDowngradeForm(forms.Form):
    level = forms.ChoiceField(label=_("New grade"), choices=())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        try:
            scheme = grades.scheme_for(task.customer)
            current = task.from_level
            choices = [(c, lbl) for c, lbl in grades.choices(scheme) if grades.is_lower(scheme, c, current)]
        except Exception:
            scheme = None
        if not choices and task.to_level:
            choices = [(task.to_level, task.to_level)]
        self.fields["level"].choices = choices
        self.fields["level"].initial = task.to_level


class CancelDowngradeForm(forms.Form):
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
