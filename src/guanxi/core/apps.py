from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "guanxi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import appendonly, history

        history.connect()
        post_migrate.connect(appendonly.install_triggers, dispatch_uid="guanxi_append_only")
