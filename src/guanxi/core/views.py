"""Dashboard, language switch, error pages, the audit log and the working-day overrides."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import services, workdays
from .filters import AuditEventFilter
from .forms import ScopedModelForm
from .generic import ObjectCreateView, ObjectDeleteView, ObjectDetailView, ObjectListView
from .models import AuditEvent, WorkdayOverride
from .next_url import same_site

log = logging.getLogger(__name__)

LOGIN_CHART_DAYS = 14


# --- dashboard -------------------------------------------------------------------------------


def _pending_approvals(user) -> int | None:
    """How many approval requests wait for this user's decision; None when the approvals module
    is not there (or fails: the dashboard must still open)."""
    try:
        from guanxi.approvals import models as approval_models

        model = getattr(approval_models, "ApprovalRequest", None)
        if model is None:
            return None
        try:
            from guanxi.approvals import queries

            return int(queries.counts(user)["waiting"])
        except (ImportError, AttributeError, KeyError):
            return model.objects.waiting_for(user).count()
    except Exception:  # one card never breaks the dashboard
        log.exception("counting pending approvals failed")
        return None


def _policy_card() -> dict | None:
    """The active policy version (number, since when), or None while the built-in default
    applies or the policy module cannot say."""
    try:
        from guanxi.policy import services as policy_services

        version = policy_services.current_version() if hasattr(policy_services, "current_version") else None
        if version is None:
            from guanxi.policy.models import PolicyVersion

            version = PolicyVersion.objects.filter(status="active").order_by("-number").first()
    except Exception:
        log.exception("reading the active policy version failed")
        return None
    if version is None:
        return None
    try:
        url = reverse("policy:detail")
    except NoReverseMatch:
        url = None
    return {"number": getattr(version, "number", None), "activated": getattr(version, "activated_at", None), "url": url}


def _logins_per_day(user) -> dict | None:
    """Sign-ins per day over the last two weeks, from the audit log; None when there are none."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=LOGIN_CHART_DAYS - 1)
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    rows = (
        AuditEvent.objects.restrict(user, "view")
        .filter(event_type="auth.login", occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["day"]: row["n"] for row in rows}
    if not any(counts.values()):
        return None
    days = [start + dt.timedelta(days=i) for i in range(LOGIN_CHART_DAYS)]
    return {"labels": [d.strftime("%m-%d") for d in days], "values": [counts.get(d, 0) for d in days]}


def _safely(fn, *args, default=None):
    """One card that fails (a module being migrated, a bad row) never takes the page down."""
    try:
        return fn(*args)
    except Exception:
        log.exception("dashboard card %s failed", getattr(fn, "__name__", fn))
        return default


@login_required
def dashboard(request):
    user = request.user
    today = timezone.localdate()
    ctx = {
        "pending_approvals": _pending_approvals(user),
        "policy": _policy_card(),
        "unknown_years": [],
        "login_chart": None,
        "today_is_workday": _safely(workdays.is_workday, today, default=today.weekday() < 5),
    }
    try:
        ctx["approvals_url"] = reverse("approvals:inbox")
    except NoReverseMatch:
        ctx["approvals_url"] = None
    if user.has_perm("core.add_workdayoverride"):
        ctx["unknown_years"] = _safely(workdays.unknown_years, today, default=[])
    if user.has_perm("core.view_auditevent"):
        ctx["login_chart"] = _safely(_logins_per_day, user)
    return render(request, "core/dashboard.html", ctx)


# --- language --------------------------------------------------------------------------------


@require_POST
def switch_language(request):
    """Sets the interface language for this browser and, when signed in, remembers it on the
    user so the next sign-in (from any browser) uses it."""
    from guanxi.accounts.middleware import LANGUAGE_SESSION_KEY

    lang = request.POST.get("language", "")
    next_url = same_site(request, request.POST.get("next") or request.META.get("HTTP_REFERER"), reverse("dashboard"))
    response = HttpResponseRedirect(next_url)
    if lang not in dict(settings.LANGUAGES):
        return response
    translation.activate(lang)
    request.session[LANGUAGE_SESSION_KEY] = lang
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        lang,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    user = request.user
    if user.is_authenticated and user.language != lang:
        user.language = lang
        user.save(update_fields=["language"])
    return response


# --- error pages -----------------------------------------------------------------------------


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_500(request):
    # No request context: context processors query the database, which may be what failed.
    return HttpResponseServerError(loader.get_template("errors/500.html").render({"LANGUAGE_CODE": translation.get_language()}))


# --- audit log -------------------------------------------------------------------------------


class AuditListView(ObjectListView):
    model = AuditEvent
    filterset_class = AuditEventFilter
    columns = ("occurred_at", "event_type", "actor", "subject_repr", "source", "ip")
    sortable = ("occurred_at", "event_type", "source")
    default_sort = "-occurred_at"
    title = _("Audit log")

    def base_queryset(self):
        return AuditEvent.objects.select_related("actor", "subject_type")


class AuditDetailView(ObjectDetailView):
    model = AuditEvent
    template_name = "core/audit_detail.html"

    def base_queryset(self):
        return AuditEvent.objects.select_related("actor", "subject_type")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["data_json"] = json.dumps(self.object.data, indent=2, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
        model = self.object.subject_type.model_class() if self.object.subject_type_id else None
        ctx["subject_type_label"] = model._meta.verbose_name if model is not None else ""
        return ctx


# --- working-day overrides -------------------------------------------------------------------


class WorkdayOverrideForm(ScopedModelForm):
    class Meta:
        model = WorkdayOverride
        fields = ["date", "is_workday", "note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {"is_workday": _("Ticked: a working day (e.g. a make-up Saturday). Not ticked: a day off.")}


class WorkdayListView(ObjectListView):
    model = WorkdayOverride
    template_name = "core/workday_list.html"
    columns = ("date", "is_workday", "note")
    sortable = ("date",)
    default_sort = "-date"
    title = _("Working days")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["form"] = WorkdayOverrideForm(user=user) if user.has_perm("core.add_workdayoverride") else None
        ctx["can_delete"] = user.has_perm("core.delete_workdayoverride")
        ctx["unknown_years"] = workdays.unknown_years(timezone.localdate())
        return ctx


class WorkdayCreateView(ObjectCreateView):
    model = WorkdayOverride
    form_class = WorkdayOverrideForm
    success_url = reverse_lazy("audit:workdays")
    success_message = _("The working-day override was saved.")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["title"] = _("Add a working-day override")
        ctx["cancel_url"] = reverse("audit:workdays")
        return ctx

    def perform(self, form):
        data = form.cleaned_data
        return services.add_workday_override(date=data["date"], is_workday=data["is_workday"], note=data["note"])


class WorkdayDeleteView(ObjectDeleteView):
    model = WorkdayOverride
    success_url = reverse_lazy("audit:workdays")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["cancel_url"] = reverse("audit:workdays")
        return ctx

    def perform(self, obj):
        services.delete_workday_override(obj)
