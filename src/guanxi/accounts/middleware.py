"""Per-request account checks: the user's remembered language, and the session limits from the
policy (idle and absolute timeout) plus the two-factor requirement of the user's roles."""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

LANGUAGE_SESSION_KEY = "_language"


class UserLanguageMiddleware:
    """Puts the language remembered for the user (or chosen before login) into the request, so
    LocaleMiddleware picks it up; zh-Hans otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.session.get(LANGUAGE_SESSION_KEY) if hasattr(request, "session") else None
        if lang:
            request.COOKIES.setdefault("django_language", lang)
            request.META["HTTP_ACCEPT_LANGUAGE"] = lang
        elif "django_language" not in request.COOKIES:
            # Chinese is the default whatever the browser says; English is chosen explicitly.
            request.META["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        return self.get_response(request)


class SessionPolicyMiddleware:
    EXEMPT_PREFIXES = ("/static/", "/accounts/login", "/accounts/logout", "/accounts/2fa", "/i18n/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            response = self._check(request, user)
            if response is not None:
                return response
        return self.get_response(request)

    def _check(self, request, user):
        from guanxi.policy.services import current as current_policy

        sec = current_policy().security
        now = time.time()
        started = request.session.setdefault("_login_at", now)
        last = request.session.get("_last_seen", now)
        if now - last > sec.idle_timeout_minutes * 60 or now - started > sec.absolute_timeout_hours * 3600:
            logout(request)
            messages.info(request, _("Your session has expired. Please sign in again."))
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        request.session["_last_seen"] = now
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()
        if not request.path.startswith(self.EXEMPT_PREFIXES):
            from .access import principal_for

            p = principal_for(user)
            if p is not None and p.require_2fa and not user.is_verified():
                return redirect(f"{reverse('accounts:2fa')}?next={request.path}")
        return None
