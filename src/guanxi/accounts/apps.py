from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "guanxi.accounts"
    label = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import signals

        # Django saves the whole user on login just to stamp last_login, which would add an
        # empty field-history row at every sign-in; an UPDATE of the one column does not.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(signals.stamp_last_login, dispatch_uid="guanxi_update_last_login")
