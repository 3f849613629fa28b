"""Per-request account checks: the user's remembered language, and the session limits from the
policy (idle and absolute timeout) plus the two-factor requirement (a role that requires it, or
a user who has set up an authenticator app)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

LANGUAGE_SESSION_KEY = "_language"
LOGIN_AT_SESSION_KEY = "_login_at"
LAST_SEEN_SESSION_KEY = "_last_seen"
OTP_REQUIRED_SESSION_KEY = "_otp_required"
# Writing the session on every request would cost a database write each time; the idle clock is
# refreshed at most this often (so the idle limit is exact to within this many seconds).
LAST_SEEN_GRANULARITY = 30


class UserLanguageMiddleware:
    """Puts the language remembered in the session (set at sign-in from user.language, or by the
    language switch) into the request, so LocaleMiddleware picks it up; zh-Hans otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.session.get(LANGUAGE_SESSION_KEY) if hasattr(request, "session") else None
        if lang and lang in dict(settings.LANGUAGES):
            # The session (the signed-in user's choice) wins over a cookie left from before.
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = lang
            request.META["HTTP_ACCEPT_LANGUAGE"] = lang
        elif settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not (
            request.path.startswith("/api/") and "HTTP_ACCEPT_LANGUAGE" in request.META
        ):
            # Chinese is the default whatever the browser says; English is chosen explicitly
            # (API clients choose with Accept-Language).
            request.META["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        return self.get_response(request)


def _is_token_request(request) -> bool:
    return request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token ")


class SessionPolicyMiddleware:
    """Ends a session after the policy's idle or absolute limit and holds a signed-in user at the
    second-factor page until verified, where required. API calls with a token have no session
    and are not affected; API calls riding on the browser session are."""

    EXEMPT_PREFIXES = ("/static/", "/accounts/login", "/accounts/logout", "/accounts/2fa", "/i18n/", "/jsi18n/", "/language/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and hasattr(request, "session") and not _is_token_request(request) and user.is_authenticated:
            response = self._check(request, user)
            if response is not None:
                return response
        return self.get_response(request)

    def _check(self, request, user):
        from guanxi.policy.services import current as current_policy

        is_api = request.path.startswith("/api/")
        session = request.session
        sec = current_policy().security
        now = time.time()
        started = session.get(LOGIN_AT_SESSION_KEY)
        if started is None:
            # A session from before these keys existed: its age is unknown, start counting now.
            session[LOGIN_AT_SESSION_KEY] = started = now
        last = session.get(LAST_SEEN_SESSION_KEY, started)
        idle = now - last > sec.idle_timeout_minutes * 60
        too_old = now - started > sec.absolute_timeout_hours * 3600
        if idle or too_old:
            from guanxi.core import audit

            audit.record("auth.session_expired", subject=user, actor=user, data={"reason": "idle" if idle else "absolute"})
            logout(request)
            if is_api:
                return None  # continues as an anonymous request: the API answers 401/403
            return self._to(request, reverse("accounts:login"), expired=True)
        if now - last >= LAST_SEEN_GRANULARITY or LAST_SEEN_SESSION_KEY not in session:
            session[LAST_SEEN_SESSION_KEY] = now
        if not request.path.startswith(self.EXEMPT_PREFIXES) and self._needs_second_factor(request, user):
            if is_api:
                return JsonResponse({"detail": _("Two-factor verification is required."), "code": "2fa_required"}, status=403)
            return self._to(request, reverse("accounts:2fa"))
        return None

    @staticmethod
    def _needs_second_factor(request, user) -> bool:
        if user.is_verified():
            return False
        if request.session.get(OTP_REQUIRED_SESSION_KEY):
            return True
        from .access import principal_for

        p = principal_for(user)
        return p is not None and p.require_2fa

    @staticmethod
    def _to(request, url: str, expired: bool = False):
        query = {"next": request.get_full_path()} if request.method == "GET" else {}
        if expired:
            query["expired"] = "1"
        target = f"{url}?{urlencode(query)}" if query else url
        if request.headers.get("HX-Request"):
            # htmx would swap the login page into a fragment: make it load the whole page.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
