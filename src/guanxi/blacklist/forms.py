from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import OrgUnit
from guanxi.core.forms import ScopedFormMixin
from guanxi.customers.models import Customer

from .models import Level


class EntryForm(ScopedFormMixin, forms.Form):
    """Adding a customer to a blacklist; the customer was chosen before (hidden), the units
    offered are those the user may see."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.all(), widget=forms.HiddenInput)
    level = forms.ChoiceField(
        label=_("List"),
        choices=Level.choices,
        initial=Level.DEPARTMENT,
        widget=forms.RadioSelect,
        help_text=_(
            "A department entry is in force at once for the department and its sub-units. A company entry needs the marketing division's approval and then applies to every department."
        ),
    )
    unit = forms.ModelChoiceField(
        label=_("Department"),
        queryset=OrgUnit.objects.filter(is_active=True),
        required=False,
        widget=forms.Select(attrs={"data-tom-select": ""}),
        help_text=_("For a department entry: the department whose list it is (your own by default)."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    evidence = forms.CharField(
        label=_("Incident and evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened: losses, breaches of contract, damage to the company's name."),
    )


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("Reason for lifting"), max_length=200)
