from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CircuitsConfig(AppConfig):
    name = "yiyun.circuits"
    label = "circuits"
    verbose_name = _("电路")
