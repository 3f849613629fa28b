"""Forms of the admission pages; they check input, the services apply the rules."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import ScopedModelForm
from guanxi.policy.sources import cite

from . import uploads
from .models import Admission, CustomerKind

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class AdmissionForm(ScopedModelForm):
    """Kind of customer (exemption) and notes."""

    class Meta:
        model = Admission
        fields = ["customer_kind", "exemption_reason", "notes"]
        widgets = {"exemption_reason": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "customer_kind": format_lazy(
                _("Retail and related-party customers are exempt from admission ({source})."), source=cite("seed 002 §五.1.1")
            ),
            "exemption_reason": _("Required for an exempt customer."),
        }


class StartForm(forms.Form):
    customer_kind = forms.ChoiceField(label=_("Kind of customer"), choices=CustomerKind.choices, initial=CustomerKind.REGULAR)
    exemption_reason = forms.CharField(
        label=_("Reason for the exemption"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for an exempt customer."),
    )


class ItemForm(forms.Form):
    confirmed = forms.BooleanField(label=_("Confirmed"), required=False)
    document_no = forms.CharField(label=_("Document number"), max_length=80, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=DATE)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, rule=None, **kwargs):
        super().__init__(*args, **kwargs)
        if rule is not None and not rule.has_expiry:
            del self.fields["expires_on"]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=uploads.ACCEPTED_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
        max_length=200,
    )
