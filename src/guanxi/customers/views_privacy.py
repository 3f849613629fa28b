"""Personal-data pages of a contact (F-ORG-5, F-SEC-3): the contact's privacy page (masked
values with reveal buttons, consents, the data subject's requests), reveal (HTMX, audited),
consent add/withdraw, export for the person, correction, erasure. Thin: customers.privacy does
the work. Every contact comes from Contact.objects.restrict(user, action): no permission → 403,
out of scope → 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.core import audit
from guanxi.core.errors import DomainError
from guanxi.core.querysets import permission_code

from . import privacy, privacy_requests
from .models import Consent, Contact, RequestKind


def _contacts(user, action: str):
    if not user.has_perm(permission_code(Contact, action)):
        raise PermissionDenied
    return Contact.objects.restrict(user, action).select_related("customer", "department")


def _contact(request, pk: int, action: str = "view") -> Contact:
    return get_object_or_404(_contacts(request.user, action), pk=pk)


def _require(allowed: bool):
    if not allowed:
        raise PermissionDenied


def _privacy_url(contact) -> str:
    return reverse("customers:contact_privacy", args=[contact.pk])


def _wants_html(request) -> bool:
    return request.headers.get("HX-Request") == "true" or "text/html" in request.headers.get("Accept", "")


class ConsentForm(forms.Form):
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"), max_length=200, help_text=gettext_lazy("What the personal data is collected for.")
    )
    lawful_basis = forms.ChoiceField(label=gettext_lazy("Lawful basis"), choices=privacy.LawfulBasis.CHOICES)
    notice_version = forms.CharField(
        label=gettext_lazy("Notice version"), max_length=20, help_text=gettext_lazy("Version of the privacy notice the person was given.")
    )
    given_at = forms.DateField(label=gettext_lazy("Date given"), widget=forms.DateInput(attrs={"type": "date"}))


class CorrectionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    mobile = forms.CharField(label=gettext_lazy("Mobile"), max_length=20, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    birthday = forms.DateField(label=gettext_lazy("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=18, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=255, required=False)
    family = forms.CharField(label=gettext_lazy("Family background"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=200, required=False, help_text=gettext_lazy("For example: the person's request of 3 May.")
    )


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("The person asks to"), choices=RequestKind.choices)
    received_on = forms.DateField(label=gettext_lazy("Received"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("How the request came in and how the person was identified."),
    )


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Who asked for the erasure, when, and how the request was verified."),
    )
    confirm = forms.BooleanField(label=gettext_lazy("I understand that the personal data of this contact cannot be restored."))


@login_required
@require_GET
def contact_privacy(request, pk):
    contact = _contact(request, pk, "view")
    user = request.user
    can_see = privacy.can_see_personal(user)
    events = audit.events_for(contact).filter(event_type__startswith="personal_data.").select_related("actor")[:20] if can_see else []
    return render(
        request,
        "customers/privacy/contact.html",
        {
            "contact": contact,
            "fields": [(f, Contact._meta.get_field(f).verbose_name) for f in privacy.personal_fields()],
            "consents": contact.consents.order_by("-given_at", "-pk"),
            "can_see": can_see,
            "can_change": user.has_perm(permission_code(Contact, "change")),
            "can_export": user.has_perm(permission_code(Contact, "export")) and can_see,
            "can_erase": privacy.can_erase(user) and user.has_perm(permission_code(Contact, "change")),
            "events": events,
            "requests": contact.data_requests.select_related("created_by", "closed_by").order_by("-received_on", "-pk") if can_see else [],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def reveal_personal(request, pk):
    _require(privacy.can_see_personal(request.user))
    contact = _contact(request, pk, "view")
    field = request.POST.get("field", "")
    try:
        value = privacy.reveal(contact, field, actor=request.user)
    except DomainError as exc:
        return JsonResponse({"detail": str(exc), "code": exc.code, "field": "field"}, status=exc.status)
    if _wants_html(request):
        return render(request, "customers/privacy/_revealed.html", {"contact": contact, "field": field, "value": value})
    return JsonResponse({"contact": contact.pk, "field": field, "value": value})


@login_required
@require_http_methods(["GET", "POST"])
def consent_add(request, pk):
    contact = _contact(request, pk, "change")
    form = ConsentForm(request.POST or None, initial={"given_at": timezone.localdate(), "lawful_basis": "consent"})
    if request.method == "POST" and form.is_valid():
        try:
            privacy.add_consent(contact, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect(_privacy_url(contact))
    return render(request, "customers/privacy/contact_form.html", {"contact": contact, "form": form, "title": _("Record consent")})


@login_required
@require_POST
def consent_withdraw(request, pk):
    consent = get_object_or_404(Consent.objects.select_related("contact"), pk=pk, contact__in=_contacts(request.user, "change"))
    try:
        privacy.withdraw_consent(consent, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The consent was withdrawn."))
    return redirect(_privacy_url(consent.contact))


@login_required
@require_GET
def contact_data_export(request, pk):
    _require(privacy.can_see_personal(request.user))
    contact = _contact(request, pk, "export")
    fmt = request.GET.get("format", "json")
    try:
        filename, content, ctype = privacy.export_subject_data(contact, actor=request.user, fmt=fmt)
    except DomainError as exc:
        if _wants_html(request):
            messages.error(request, str(exc))
            return redirect(_privacy_url(contact))
        return JsonResponse({"detail": str(exc), "code": exc.code}, status=exc.status)
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def contact_correct(request, pk):
    _require(privacy.can_see_personal(request.user))
    contact = _contact(request, pk, "change")
    if contact.erased_at:
        messages.error(request, _("This contact has been erased."))
        return redirect(_privacy_url(contact))
    fields = list(privacy.CORRECTABLE_FIELDS)
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in fields}
            try:
                changed = privacy.correct_contact(contact, actor=request.user, data=data, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                if changed:
                    messages.success(request, _("The personal data was corrected."))
                else:
                    messages.info(request, _("Nothing was changed."))
                return redirect(_privacy_url(contact))
    else:
        form = CorrectionForm(initial={f: getattr(contact, f) for f in fields})
        # The form shows the full values: that is a reading of personal data.
        shown = [f for f in privacy.personal_fields() if getattr(contact, f) not in (None, "")]
        if shown:
            audit.record(
                "personal_data.viewed",
                subject=contact,
                actor=request.user,
                data={"contact": contact.pk, "customer": contact.customer_id, "fields": shown, "purpose": "correction"},
            )
    return render(request, "customers/privacy/correct.html", {"contact": contact, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def contact_erase(request, pk):
    _require(privacy.can_erase(request.user))
    contact = _contact(request, pk, "change")
    if contact.erased_at:
        messages.info(request, _("This contact has already been erased."))
        return redirect(_privacy_url(contact))
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.erase_contact(contact, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("The contact's personal data was erased."))
            return redirect(_privacy_url(contact))
    return render(request, "customers/privacy/erase.html", {"contact": contact, "form": form})


# ---------------------------------------------------------------- requests of the person


@login_required
@require_http_methods(["GET", "POST"])
def request_add(request, pk):
    """Record what the person asked for; the answer date comes from the policy."""
    _require(privacy_requests.can_handle(request.user))
    contact = _contact(request, pk, "view")
    form = RequestForm(request.POST or None, initial={"received_on": timezone.localdate(), "kind": RequestKind.ACCESS})
    if request.method == "POST" and form.is_valid():
        try:
            recorded = privacy_requests.record(contact, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("The request is recorded; answer it by %(date)s.") % {"date": recorded.due_on.isoformat()})
            return redirect(_privacy_url(contact))
    intro = _(
        "What the person asked about their data. The answer is due within the policy's number of days of receipt; exporting, "
        "correcting or erasing the data, or withdrawing the consent, answers a request of that kind."
    )
    return render(
        request, "customers/privacy/contact_form.html", {"contact": contact, "form": form, "title": _("Record a request"), "intro": intro}
    )


@login_required
@require_POST
def request_close(request, pk):
    _require(privacy_requests.can_handle(request.user))
    found = get_object_or_404(privacy_requests.for_user(request.user), pk=pk)
    try:
        privacy_requests.close(found, actor=request.user, outcome=request.POST.get("outcome", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request is marked answered."))
    return redirect(_privacy_url(found.contact))


REQUEST_STATES = {
    "open": gettext_lazy("Open"),
    "overdue": gettext_lazy("Overdue"),
    "closed": gettext_lazy("Answered"),
    "all": gettext_lazy("All"),
}


@login_required
@require_GET
def request_list(request):
    """Every request of the contacts the user may view, oldest deadline first."""
    _require(privacy_requests.can_handle(request.user))
    state = request.GET.get("state", "open")
    state = state if state in REQUEST_STATES else "open"
    today = timezone.localdate()
    qs = privacy_requests.for_user(request.user).select_related("created_by", "closed_by")
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state == "overdue":
        qs = qs.filter(closed_at__isnull=True, due_on__lt=today)
    elif state == "closed":
        qs = qs.filter(closed_at__isnull=False).order_by("-closed_at", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/privacy/requests.html",
        {"page": page, "state": state, "states": list(REQUEST_STATES.items()), "today": today, "title": _("Requests about personal data")},
    )
