from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatalifeConfig(AppConfig):
    name = "yiyun.datalife"
    label = "datalife"
    verbose_name = _("数据生命周期")
