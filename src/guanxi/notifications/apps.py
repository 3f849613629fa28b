from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "guanxi.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from guanxi.accounts.backends import read_along_with_user

        from .services import unread_count_key

        read_along_with_user(unread_count_key)  # the bell on every page: no round trip of its own
