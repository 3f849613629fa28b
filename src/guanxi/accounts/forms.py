"""Forms of the organisation pages and the own-account pages. They only validate input; the
views hand the cleaned data to accounts.services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import ScopedFormMixin, ScopedModelForm

from .models import OrgUnit, Region, Role, User


class UserCreateForm(ScopedModelForm):
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to create the account without a usable password."),
    )
    password2 = forms.CharField(
        label=_("Password again"), required=False, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    unit = forms.ModelChoiceField(OrgUnit.objects.filter(is_active=True), label=_("Unit"), required=False)
    role = forms.ModelChoiceField(Role.objects.filter(is_active=True), label=_("Role"), required=False)
    reports_to = forms.ModelChoiceField(User.objects.filter(is_active=True), label=_("Reports to"), required=False)

    class Meta:
        model = User
        fields = ["username", "full_name", "employee_no", "email", "mobile", "language"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # A new user's role may be any active role, not only the creator's own ones.
        self.fields["role"].queryset = Role.objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        if bool(data.get("unit")) != bool(data.get("role")):
            self.add_error("role", _("Choose both a unit and a role, or neither."))
        return data


class UserEditForm(ScopedModelForm):
    new_password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password. Setting one ends the user's sessions."),
    )

    class Meta:
        model = User
        fields = ["full_name", "employee_no", "email", "mobile", "language"]


class PositionForm(ScopedFormMixin, forms.Form):
    unit = forms.ModelChoiceField(OrgUnit.objects.filter(is_active=True), label=_("Unit"))
    role = forms.ModelChoiceField(Role.objects.filter(is_active=True), label=_("Role"))
    reports_to = forms.ModelChoiceField(User.objects.filter(is_active=True), label=_("Reports to"), required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False, initial=True)
    valid_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(is_active=True)


class PositionEditForm(ScopedFormMixin, forms.Form):
    role = forms.ModelChoiceField(Role.objects.filter(is_active=True), label=_("Role"))
    reports_to = forms.ModelChoiceField(User.objects.filter(is_active=True), label=_("Reports to"), required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)
    valid_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(is_active=True)


class _TreeForm(ScopedModelForm):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk:
            # Not below itself: the subtree is no valid parent.
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(path__startswith=self.instance.path)


class OrgUnitForm(_TreeForm):
    class Meta:
        model = OrgUnit
        fields = ["name", "code", "kind", "parent", "region", "sort_order", "is_active"]


class RegionForm(_TreeForm):
    class Meta:
        model = Region
        fields = ["name", "code", "kind", "parent", "is_active"]


class RoleForm(ScopedModelForm):
    permissions = forms.MultipleChoiceField(label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple)
    scope_overrides = forms.JSONField(
        label=_("Scope per model"),
        required=False,
        initial=dict,
        help_text=_('Optional, e.g. {"accounts.user": "all"}: a different scope for one model.'),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Role
        fields = ["code", "name", "name_en", "description", "data_scope", "permissions", "scope_overrides", "require_2fa", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        from guanxi.core.permissions import all_permissions

        choices = dict(all_permissions())
        for code in self.instance.permissions or []:
            choices.setdefault(code, code)
        self.fields["permissions"].choices = sorted(((c, f"{label} ({c})") for c, label in choices.items()), key=lambda c: c[0])
        if self.instance.pk:
            self.fields["code"].disabled = True

    def clean_scope_overrides(self):
        return self.cleaned_data.get("scope_overrides") or {}


class ProfileForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("What the token is for, e.g. the name of the integration."))
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value and value <= timezone.localdate():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return value


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip().replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("Enter the digits shown by your authenticator app."))
        return token
