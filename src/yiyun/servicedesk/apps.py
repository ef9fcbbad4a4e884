from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "yiyun.servicedesk"
    label = "servicedesk"
    verbose_name = _("服务台")
