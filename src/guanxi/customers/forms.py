"""Forms of the customer pages: the customer itself (with the custom fields of its category),
its departments and its contacts (inline formsets). Forms only validate and shape input; writes
go through customers.services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guanxi.accounts.access import principal_for
from guanxi.accounts.models import OrgUnit, Region, User
from guanxi.core.widgets import RemoteSelect

from .models import STATIC_FIELDS, Customer, CustomerDepartment, CustomFieldDef, DecisionRole, FieldType, Tag
from .privacy import personal_fields

CUSTOM_PREFIX = "cf_"

CUSTOMER_FIELDS = [
    *STATIC_FIELDS,
    "is_key",
    "first_contact_date",
    "owner",
    "unit",
    "tags",
]

# Fields of the live duplicate check (helper B's customers:duplicate_check reads them by name).
DUPLICATE_TRIGGER_FIELDS = ("name", "credit_code", "phone")


def can_see_personal(user) -> bool:
    try:
        from .privacy import can_see_personal as check
    except ImportError:
        return bool(user and user.has_perm("customers.view_personal_contact"))
    return check(user)


def _validator(name):
    """A1's validators, when present (credit code check digit, mainland numbers)."""
    try:
        from . import validators
    except ImportError:
        return None
    return getattr(validators, name, None)


def _clean_with(name, value):
    fn = _validator(name)
    if fn is None or not value:
        return value
    result = fn(value)
    return value if result is None else result


def _owner_queryset(user):
    if user is None:
        return User.objects.none()
    qs = User.objects.restrict(user, "view") if user.has_perm("accounts.view_user") else User.objects.none()
    return User.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=user.pk), is_active=True).order_by("full_name")


def _primary_unit(user):
    try:
        from .services import primary_unit
    except ImportError:
        return None
    return primary_unit(user) if user is not None else None


def _unit_queryset(user):
    principal = principal_for(user) if user is not None else None
    own = principal.unit_ids if principal else set()
    visible = OrgUnit.objects.restrict(user, "view").values("pk") if user is not None else OrgUnit.objects.none()
    return OrgUnit.objects.filter(Q(pk__in=visible) | Q(pk__in=own), is_active=True).order_by("path")


def key_customer_help() -> str:
    from guanxi.policy.services import current

    n = current().deadlines.key_customer_min_contacts
    return ngettext(
        "Key customers must keep at least %(n)d company staff member in contact.",
        "Key customers must keep at least %(n)d company staff in contact.",
        n,
    ) % {"n": n}


class CustomerForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_duplicates = forms.BooleanField(
        label=_("Save anyway: I checked the possible duplicates and this is a different customer."), required=False
    )

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        widgets = {
            "business_scope": forms.Textarea(attrs={"rows": 3}),
            "first_contact_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "region": forms.Select(attrs={"data-tom-select": ""}),
            "owner": RemoteSelect("org:user_lookup"),
            "unit": forms.Select(attrs={"data-tom-select": ""}),
            "tags": forms.SelectMultiple(attrs={"data-tom-select": ""}),
        }

    def __init__(self, *args, user=None, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner"].queryset = _owner_queryset(user)
        self.fields["unit"].queryset = _unit_queryset(user)
        self.fields["region"].queryset = Region.objects.filter(is_active=True)
        self.fields["tags"].queryset = Tag.objects.all()
        self.fields["is_key"].help_text = key_customer_help()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            principal = principal_for(user) if user is not None else None
            if user is not None and not self.initial.get("owner"):
                self.initial["owner"] = user.pk
            if not self.initial.get("unit"):
                unit = _primary_unit(user)
                if unit is not None:
                    self.initial["unit"] = unit.pk
                elif principal and principal.unit_ids:
                    self.initial["unit"] = sorted(principal.unit_ids)[0]
        self.category = self._category(category)
        self.custom_defs = list(CustomFieldDef.objects.filter(category=self.category).order_by("order", "key"))
        for d in self.custom_defs:
            self.fields[CUSTOM_PREFIX + d.key] = custom_form_field(d, self.instance)

    def _category(self, category):
        if self.is_bound:
            value = self.data.get(self.add_prefix("category"))
            if value:
                return value
        return category or self.instance.category or self.fields["category"].initial or Customer._meta.get_field("category").default

    # --- field cleaning through A1's validators (clear messages, normalised values) ----------
    def clean_credit_code(self):
        value = (self.cleaned_data.get("credit_code") or "").strip().upper()
        return _clean_with("validate_credit_code", value)

    def clean_phone(self):
        return _clean_with("normalize_phone", (self.cleaned_data.get("phone") or "").strip())

    def clean_fax(self):
        return _clean_with("normalize_phone", (self.cleaned_data.get("fax") or "").strip())

    # --- custom fields ------------------------------------------------------------------------
    @property
    def custom_fields(self):
        return [self[CUSTOM_PREFIX + d.key] for d in self.custom_defs]

    @property
    def static_fields(self):
        return [self[name] for name in CUSTOMER_FIELDS if name in self.fields]

    def custom_data(self) -> dict:
        """custom_data for the service: the category's values as JSON; file fields keep their
        stored file ids (new uploads are attached after the save)."""
        stored = dict(self.instance.custom_data or {}) if self.instance.pk else {}
        data = {}
        for d in self.custom_defs:
            if d.field_type == FieldType.FILE:
                if stored.get(d.key):
                    data[d.key] = stored[d.key]
                continue
            data[d.key] = to_json(self.cleaned_data.get(CUSTOM_PREFIX + d.key))
        return data

    def custom_files(self) -> dict:
        """{field key: uploaded file} for the file fields that got a new upload."""
        out = {}
        for d in self.custom_defs:
            if d.field_type == FieldType.FILE:
                f = self.cleaned_data.get(CUSTOM_PREFIX + d.key)
                if f:
                    out[d.key] = f
        return out

    def service_data(self) -> dict:
        """The customer's fields as the service takes them (model instances for FKs, tags as a list)."""
        data = {name: self.cleaned_data.get(name) for name in CUSTOMER_FIELDS if name in self.cleaned_data}
        data["tags"] = list(data.get("tags") or [])
        data["custom_data"] = self.custom_data()
        return data


def to_json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if value is None:
        return ""
    return value


def custom_form_field(d: CustomFieldDef, instance=None) -> forms.Field:
    common = {"label": d.label, "required": d.required and d.field_type != FieldType.FILE, "help_text": d.help_text}
    initial = (instance.custom_data or {}).get(d.key) if instance is not None and instance.pk else None
    choices = [(c, c) for c in (d.choices or [])]
    if d.field_type == FieldType.NUMBER:
        field = forms.DecimalField(max_digits=18, decimal_places=4, **common)
    elif d.field_type == FieldType.MONEY:
        field = forms.DecimalField(max_digits=16, decimal_places=2, **common)
    elif d.field_type == FieldType.DATE:
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    elif d.field_type == FieldType.CHOICE:
        field = forms.ChoiceField(choices=[("", "—"), *choices], **common)
    elif d.field_type == FieldType.MULTI:
        field = forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    elif d.field_type == FieldType.BOOL:
        common["required"] = False
        field = forms.BooleanField(**common)
    elif d.field_type == FieldType.FILE:
        field = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf"}), **common)
    else:
        field = forms.CharField(max_length=500, **common)
    if initial not in (None, ""):
        field.initial = initial
    return field


class DepartmentForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Department"), max_length=80, widget=forms.TextInput(attrs={"data-department-name": ""}))
    business_info = forms.CharField(label=_("Business information"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    communication_info = forms.CharField(label=_("Communication information"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    background_info = forms.CharField(label=_("Background information"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


CONTACT_FIELDS = [
    "name",
    "title",
    "department",
    "phone",
    "mobile",
    "email",
    "decision_role",
    "birthday",
    "id_number",
    "address",
    "experience",
    "family",
    "hobbies",
    "needs",
    "is_primary",
]


class ContactForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=60, required=False)
    department = forms.CharField(
        label=_("Department"),
        max_length=80,
        required=False,
        help_text=_("One of the departments above; a new name adds a department."),
        widget=forms.TextInput(attrs={"list": "department-names"}),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    decision_role = forms.ChoiceField(label=_("Decision role"), choices=[("", "—"), *DecisionRole.choices], required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    experience = forms.CharField(label=_("Experience"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    family = forms.CharField(label=_("Family background"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hobbies = forms.CharField(label=_("Hobbies"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    needs = forms.CharField(label=_("Needs"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)

    def __init__(self, *args, hide_personal=False, **kwargs):
        super().__init__(*args, **kwargs)
        # A user without the personal-data right never receives an existing contact's personal
        # values: the inputs are disabled (the stored values are kept on save).
        existing = self.initial.get("id") or (self.data.get(self.add_prefix("id")) if self.is_bound else None)
        self.hide_personal = hide_personal and bool(existing)
        if self.hide_personal:
            for name in personal_fields():
                if name not in self.fields:
                    continue
                field = self.fields[name]
                field.disabled = True
                field.required = False
                field.help_text = _("Personal information: hidden without the personal-data right.")
                self.initial[name] = None
                field.widget.attrs["placeholder"] = "••••"

    def clean_mobile(self):
        if "mobile" in self.changed_data or not self.hide_personal:
            return _clean_with("normalize_mobile", (self.cleaned_data.get("mobile") or "").strip())
        return self.cleaned_data.get("mobile")

    def clean_phone(self):
        return _clean_with("normalize_phone", (self.cleaned_data.get("phone") or "").strip())

    def service_data(self) -> dict:
        """The contact as customers.services takes it: the department by name (resolved among
        the customer's departments, including those added on the same form)."""
        d = self.cleaned_data
        out = {name: d.get(name) for name in CONTACT_FIELDS if name != "department"}
        for name in ("decision_role", "title", "phone", "mobile", "email", "id_number", "address"):
            out[name] = out[name] or ""
        out["department"] = None
        out["department_name"] = (d.get("department") or "").strip()
        if self.hide_personal:
            for name in personal_fields():
                out.pop(name, None)
        if d.get("id"):
            out["id"] = d["id"]
        return out


class BaseContactFormSet(forms.BaseFormSet):
    def __init__(self, *args, hide_personal=False, **kwargs):
        self.hide_personal = hide_personal
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["hide_personal"] = self.hide_personal
        return kwargs

    def clean(self):
        primaries = sum(1 for f in self.forms if f.cleaned_data and not self._should_delete_form(f) and f.cleaned_data.get("is_primary"))
        if primaries > 1:
            raise ValidationError(_("Only one contact can be the primary contact."))


ContactFormSet = forms.formset_factory(ContactForm, formset=BaseContactFormSet, extra=0, can_delete=True)
DepartmentFormSet = forms.formset_factory(DepartmentForm, extra=0, can_delete=True)


def contact_initial(customer) -> list[dict]:
    rows = []
    for c in customer.contacts.select_related("department").filter(erased_at__isnull=True):
        row = {name: getattr(c, name) for name in CONTACT_FIELDS if name != "department"}
        row["department"] = c.department.name if c.department_id else ""
        row["id"] = c.pk
        rows.append(row)
    return rows


def department_initial(customer) -> list[dict]:
    return [
        {
            "id": d.pk,
            "name": d.name,
            "business_info": d.business_info,
            "communication_info": d.communication_info,
            "background_info": d.background_info,
        }
        for d in CustomerDepartment.objects.filter(customer=customer).order_by("name")
    ]


class BulkForm(forms.Form):
    ACTIONS = [("tag", _("Add a tag")), ("export", _("Export the selection"))]
    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.CharField(required=False)
    tag = forms.CharField(label=_("Tag"), max_length=40, required=False)

    def clean_ids(self):
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else [self.cleaned_data.get("ids")]
        ids = []
        for part in raw:
            for bit in str(part or "").split(","):
                bit = bit.strip()
                if bit.isdigit():
                    ids.append(int(bit))
        if not ids:
            raise ValidationError(_("Select at least one customer."))
        if len(ids) > 5000:
            raise ValidationError(_("Select at most 5,000 customers at a time."))
        return ids

    def clean(self):
        data = super().clean()
        if data.get("action") == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Enter the tag to add."))
        return data
