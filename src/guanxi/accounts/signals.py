"""Every login, logout and failed login is audited (F-ORG-4); sessions are tracked so a
deactivated user's sessions can all be ended at once; changes to users, positions, roles and
units replace the access version so no cached principal outlives them, and a saved user
is dropped from the user cache (backends.PositionBackend.get_user)."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanxi.core import audit, context
from guanxi.core.middleware import client_ip

from .access import bump_access_version
from .backends import forget_user
from .middleware import LANGUAGE_SESSION_KEY, LAST_SEEN_SESSION_KEY, LOGIN_AT_SESSION_KEY, OTP_REQUIRED_SESSION_KEY
from .models import OrgUnit, Position, Role, User, UserSession


def stamp_last_login(sender, user, **kwargs):
    user.last_login = timezone.now()
    type(user)._default_manager.filter(pk=user.pk).update(last_login=user.last_login)
    forget_user(user.pk)


@receiver(user_logged_in, dispatch_uid="guanxi_login")
def on_login(sender, request, user, **kwargs):
    if context.current().request_id:
        # Inside a request: what follows in it is done by this user. (Outside one, e.g. a test
        # client's force_login, there is no request context to stamp and none must leak.)
        context.set_actor(user.pk)
    if request is not None and getattr(request, "session", None) is not None:
        now = time.time()
        request.session[LOGIN_AT_SESSION_KEY] = now
        request.session[LAST_SEEN_SESSION_KEY] = now
        # The user's remembered language applies from the first page after signing in.
        request.session[LANGUAGE_SESSION_KEY] = user.language
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            request.session[OTP_REQUIRED_SESSION_KEY] = True
        if not request.session.session_key:
            request.session.save()
        UserSession.objects.create(
            user=user,
            session_key=request.session.session_key,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        )
    audit.record("auth.login", subject=user, actor=user)


@receiver(user_logged_out, dispatch_uid="guanxi_logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
            UserSession.objects.filter(user=user, session_key=request.session.session_key).delete()
        audit.record("auth.logout", subject=user, actor=user)


@receiver(user_login_failed, dispatch_uid="guanxi_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    user = User.objects.filter(username=username).first()
    # Record the attempted name, never the password.
    audit.record("auth.login_failed", subject=user, actor_id=None, data={"username": username[:150]})


def _access_changed(sender, instance, created=False, update_fields=None, **kwargs):
    # A user only matters when new, removed or (de)activated; positions, roles and units always.
    user_detail = sender is User and not created and kwargs.get("signal") is not post_delete
    if user_detail and update_fields is not None and "is_active" not in update_fields:
        return
    bump_access_version()


def _user_changed(sender, instance, **kwargs):
    forget_user(instance.pk)


post_save.connect(_user_changed, sender=User, dispatch_uid="guanxi_user_cache_save")
post_delete.connect(_user_changed, sender=User, dispatch_uid="guanxi_user_cache_delete")

for _model in (Position, Role, OrgUnit, User):
    post_save.connect(_access_changed, sender=_model, dispatch_uid=f"guanxi_access_{_model.__name__}_save")
    post_delete.connect(_access_changed, sender=_model, dispatch_uid=f"guanxi_access_{_model.__name__}_delete")
