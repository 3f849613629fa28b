"""Policy editor forms, generated from the schema's clause catalogue.

The fields do not validate values themselves: what was typed goes to the policy service, whose
pydantic errors come back per clause key and are shown next to the field, the input kept."""

from __future__ import annotations

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _

from .schema import Clause, get_path, sections

UNIT_LABELS = {
    "days": _("days"),
    "working_days": _("working days"),
    "hours": _("hours"),
    "minutes": _("minutes"),
    "months": _("months"),
    "times_per_month": _("times a month"),
    "times_per_year": _("times a year"),
    "percent": _("%"),
    "permille": _("‰"),
    "yuan": _("yuan"),
    "count": _("count"),
    "day_of_month": _("day of the month"),
    "weekday": _("day of the week"),
    "": "",
}

CHOICE_LABELS = {
    # visits / pool activity kinds
    "visit": _("Visit"),
    "call": _("Phone call"),
    "email": _("E-mail"),
    "wechat": _("WeChat"),
    "meeting": _("Meeting"),
    "quotation": _("Quotation"),
    "opportunity": _("Opportunity"),
    "order": _("Sales order"),
    "contract": _("Contract"),
    "payment": _("Payment"),
    # grading admission
    "business_licence": _("Business licence"),
    "tax_registration": _("Tax registration"),
    "good_credit": _("Good credit"),
    "signed_contract": _("Signed purchase contract"),
    "no_illegal_record": _("No illegal record"),
    "qualifications": _("Required qualifications"),
    "retail": _("Retail customers"),
    "related_party": _("Related-party customers"),
    # complaints
    "hotline": _("Hotline"),
    "online": _("Online"),
    "store_box": _("Store complaint box"),
    # care
    "birthday": _("Birthday"),
    "holiday": _("Holiday"),
    "anniversary": _("Anniversary"),
    # kpi
    "whole": _("Whole: all at the rate of the month's tier"),
    "progressive": _("Progressive: each customer at its own tier's rate"),
    # security
    "mobile": _("Mobile"),
    "phone": _("Phone"),
    "id_number": _("ID number"),
    "address": _("Address"),
    "family_background": _("Family background"),
    # weekdays
    "monday": _("Monday"),
    "tuesday": _("Tuesday"),
    "wednesday": _("Wednesday"),
    "thursday": _("Thursday"),
    "friday": _("Friday"),
    "saturday": _("Saturday"),
    "sunday": _("Sunday"),
}


def choice_label(value) -> str:
    return str(CHOICE_LABELS.get(value, value))


def field_name(key: str) -> str:
    return key.replace(".", "__")


def to_yaml(value) -> str:
    from .services import dump_yaml

    return dump_yaml(value).rstrip() + "\n"


def _form_field(clause: Clause) -> forms.Field:
    common = {"label": clause.label, "required": False, "help_text": clause.help_text}
    if clause.kind == "bool":
        return forms.BooleanField(widget=forms.CheckboxInput(attrs={"class": "form-check-input"}), **common)
    if clause.kind in ("int", "decimal"):
        attrs = {"class": "form-control", "inputmode": "numeric" if clause.kind == "int" else "decimal"}
        # A text input on purpose: the browser must not round or drop what was typed; the
        # service's validation says what is wrong with it.
        return forms.CharField(widget=forms.TextInput(attrs=attrs), strip=True, **common)
    if clause.kind == "choice":
        return forms.ChoiceField(
            choices=[(c, choice_label(c)) for c in clause.choices], widget=forms.Select(attrs={"class": "form-select"}), **common
        )
    if clause.kind == "multichoice":
        return forms.MultipleChoiceField(
            choices=[(c, choice_label(c)) for c in clause.choices],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            **common,
        )
    if clause.kind == "text":
        return forms.CharField(widget=forms.TextInput(attrs={"class": "form-control"}), strip=True, **common)
    return forms.CharField(
        widget=forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 8, "spellcheck": "false"}),
        strip=False,
        **common,
    )


class SectionForm(forms.Form):
    """The clauses of one policy section, plus a comment for the approver."""

    comment = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        help_text=_("Shown to the approver with the list of changes."),
    )

    def __init__(self, *args, section: str, policy, **kwargs):
        self.section = next(s for s in sections() if s.key == section)
        self.clauses = {field_name(c.key): c for c in self.section.clauses}
        super().__init__(*args, **kwargs)
        comment = self.fields.pop("comment")
        for name, clause in self.clauses.items():
            self.fields[name] = _form_field(clause)
            if not self.is_bound:
                self.initial[name] = self._initial(clause, get_path(policy, clause.path))
        self.fields["comment"] = comment

    @staticmethod
    def _initial(clause: Clause, value):
        if clause.kind == "structured":
            if hasattr(value, "model_dump"):
                value = value.model_dump(mode="python")
            elif isinstance(value, list):
                value = [v.model_dump(mode="python") if hasattr(v, "model_dump") else v for v in value]
            elif isinstance(value, dict):
                value = {k: v.model_dump(mode="python") if hasattr(v, "model_dump") else v for k, v in value.items()}
            return to_yaml(value)
        if clause.kind == "decimal" and value is not None:
            return format(value, "f")
        return value

    def clean(self):
        cleaned = super().clean()
        for name, clause in self.clauses.items():
            if clause.kind != "structured" or name not in cleaned:
                continue
            text = cleaned.get(name) or ""
            try:
                cleaned[name] = yaml.safe_load(text) if text.strip() else None
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                if mark is not None:
                    msg = _("This is not valid YAML or JSON (line %(line)s, column %(column)s).") % {
                        "line": mark.line + 1,
                        "column": mark.column + 1,
                    }
                else:
                    msg = _("This is not valid YAML or JSON.")
                self.add_error(name, msg)
        return cleaned

    def partial(self) -> dict:
        """The section as a nested mapping of what was entered (for the policy service)."""
        out: dict = {}
        for name, clause in self.clauses.items():
            value = self.cleaned_data.get(name)
            if clause.kind in ("int", "decimal", "text") and value == "" and clause.optional:
                value = None
            node = out
            for part in clause.path[:-1]:
                node = node.setdefault(part, {})
            node[clause.path[-1]] = value
        return out

    def add_policy_errors(self, errors: dict[str, list[str]]) -> None:
        """Puts the service's errors (by clause key) next to their fields."""
        for key, messages in errors.items():
            name = field_name(key)
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, f"{key}: {message}" if key else message)

    def rows(self):
        """(bound field, clause, unit label) in schema order, for the template."""
        for name, clause in self.clauses.items():
            yield self[name], clause, UNIT_LABELS.get(clause.unit, clause.unit)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("YAML file"), required=False, widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".yaml,.yml,.txt"})
    )
    text = forms.CharField(
        label=_("Or paste the YAML here"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control font-monospace", "rows": 12, "spellcheck": "false"}),
        strip=False,
    )
    comment = forms.CharField(
        label=_("Reason for the change"), required=False, max_length=2000, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > 1024 * 1024:
                self.add_error("file", _("The file is too large (at most 1 MB)."))
                return cleaned
            cleaned["content"] = upload.read()
        elif (cleaned.get("text") or "").strip():
            cleaned["content"] = cleaned["text"]
        else:
            raise forms.ValidationError(_("Choose a YAML file or paste its content."))
        return cleaned
