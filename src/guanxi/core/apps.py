from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "guanxi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.core.signals import request_finished

        from . import ahead, appendonly, history

        history.connect()
        request_finished.connect(ahead.close_pending, dispatch_uid="guanxi_close_pending")
        post_migrate.connect(appendonly.install_triggers, dispatch_uid="guanxi_append_only")
