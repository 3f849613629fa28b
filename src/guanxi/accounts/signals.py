"""Every login, logout and failed login is audited (F-ORG-4); sessions are tracked so a
deactivated user's sessions can all be ended at once."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from guanxi.core import audit, context
from guanxi.core.middleware import client_ip

from .models import User, UserSession


@receiver(user_logged_in, dispatch_uid="guanxi_login")
def on_login(sender, request, user, **kwargs):
    context.set_actor(user.pk)
    if request is not None and getattr(request, "session", None) is not None:
        if not request.session.session_key:
            request.session.save()
        UserSession.objects.create(
            user=user, session_key=request.session.session_key, ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:255]
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
