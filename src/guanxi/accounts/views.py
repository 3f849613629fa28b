"""Signing in and the own account: login (with django-axes lockout), the TOTP second factor,
profile (language, 2FA) and personal API tokens."""

from __future__ import annotations

import base64
import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanxi.core import audit
from guanxi.core.errors import DomainError
from guanxi.core.next_url import same_site

from . import queries, services
from .access import principal_for
from .forms import ApiTokenForm, OtpTokenForm, ProfileForm
from .middleware import LANGUAGE_SESSION_KEY, OTP_REQUIRED_SESSION_KEY
from .models import ApiToken


class LoginForm(AuthenticationForm):
    # One message whether the name is unknown, the password wrong or the account deactivated,
    # so the form never tells whether a username exists.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("The username or password is not correct."),
        "inactive": gettext_lazy("The username or password is not correct."),
    }


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["expired"] = self.request.GET.get("expired") == "1"
        return ctx

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in; signals.on_login stamps the session
        if self.request.session.get(OTP_REQUIRED_SESSION_KEY):
            return redirect(_with_next(reverse("accounts:2fa"), self.get_success_url()))
        return response


def _with_next(url: str, next_url: str | None) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _safe_next(request, default: str) -> str:
    return same_site(request, request.POST.get("next") or request.GET.get("next"), default)


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    """django-axes calls this when an account or an address has too many failures."""
    from .lockout import minutes

    return render(request, "accounts/locked.html", {"minutes": minutes()}, status=429)


# ---------------------------------------------------------------- two-factor


def _confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@login_required
def two_factor(request):
    """Second step of signing in: the code from the authenticator app. Without a device yet,
    the user sets one up first."""
    next_url = _safe_next(request, reverse("dashboard"))
    if request.user.is_verified():
        return HttpResponseRedirect(next_url)
    device = _confirmed_device(request.user)
    if device is None:
        return redirect(_with_next(reverse("accounts:2fa_setup"), next_url))
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            request.session.pop(OTP_REQUIRED_SESSION_KEY, None)
            audit.record("auth.2fa_verified", subject=request.user, actor=request.user)
            return HttpResponseRedirect(next_url)
        audit.record("auth.2fa_failed", subject=request.user, actor=request.user)
        if not allowed:
            form.add_error("token", _("Too many wrong codes. Wait a moment and try again."))
        else:
            form.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
    return render(request, "accounts/2fa.html", {"form": form, "next": next_url})


def _qr_svg(data: str) -> str:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode()
    # Inline in the page: drop the XML declaration.
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    return svg


@login_required
def two_factor_setup(request):
    """Set up (or replace) the authenticator app: QR code and secret, confirmed with a code.
    Replacing an existing device needs a verified session."""
    user = request.user
    next_url = _safe_next(request, reverse("accounts:profile"))
    if _confirmed_device(user) is not None and not user.is_verified():
        return redirect(_with_next(reverse("accounts:2fa"), next_url))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", _("Too many wrong codes. Wait a moment and try again."))
        elif device.verify_token(form.cleaned_data["token"]):
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save()
            otp_login(request, device)
            request.session.pop(OTP_REQUIRED_SESSION_KEY, None)
            audit.record("auth.2fa_enabled", subject=user, actor=user)
            messages.success(request, _("Two-factor sign-in is now on for your account."))
            return HttpResponseRedirect(next_url)
        else:
            form.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/2fa_setup.html",
        {"form": form, "qr_svg": mark_safe(_qr_svg(device.config_url)), "secret": secret, "next": next_url},  # noqa: S308 (our own SVG)
    )


@login_required
@require_POST
def two_factor_disable(request):
    user = request.user
    p = principal_for(user)
    if p is not None and p.require_2fa:
        messages.error(request, _("Your role requires two-factor sign-in; it cannot be switched off."))
    elif not user.is_verified():
        messages.error(request, _("Confirm your current code first."))
    else:
        TOTPDevice.objects.filter(user=user).delete()
        audit.record("auth.2fa_disabled", subject=user, actor=user)
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("accounts:profile")


# ---------------------------------------------------------------- profile and tokens


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, initial={"language": user.language})
    if request.method == "POST" and form.is_valid():
        lang = form.cleaned_data["language"]
        services.update_user(user, language=lang)
        request.session[LANGUAGE_SESSION_KEY] = lang
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        messages.success(request, _("Your settings were saved."))
        response = redirect("accounts:profile")
        from django.conf import settings

        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax", secure=request.is_secure()
        )
        return response
    p = principal_for(user)
    ctx = {
        "form": form,
        "has_2fa": _confirmed_device(user) is not None,
        "verified": user.is_verified(),
        "require_2fa": bool(p and p.require_2fa),
        "positions": queries.positions_of(user),
        "token_count": queries.tokens_of(user).filter(revoked_at__isnull=True).count(),
    }
    return render(request, "accounts/profile.html", ctx)


@login_required
def tokens(request):
    """Own API tokens: list, create (the key is shown once, on this response only), revoke."""
    user = request.user
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data.get("expires_on")
        expires_at = timezone.make_aware(dt.datetime.combine(expires, dt.time(23, 59, 59))) if expires else None
        try:
            _token, new_key = services.create_api_token(user, form.cleaned_data["name"], expires_at)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            form = ApiTokenForm()
    response = render(request, "accounts/tokens.html", {"form": form, "tokens": queries.tokens_of(user), "new_key": new_key})
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:tokens")
