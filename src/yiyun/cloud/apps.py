from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CloudConfig(AppConfig):
    name = "yiyun.cloud"
    label = "cloud"
    verbose_name = _("云资源")
