from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "yiyun.portal"
    label = "portal"
    verbose_name = _("门户")
    menu = [("portal:dashboard", _("工作台"), 0), ("portal:audit", _("审计日志"), 95)]
