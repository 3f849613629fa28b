from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "guanxi.accounts"
    label = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self):
        from . import signals  # noqa: F401  login/logout audit, session tracking
