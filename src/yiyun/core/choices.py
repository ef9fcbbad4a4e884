from django.db import models
from django.utils.translation import gettext_lazy as _


class Clock(models.TextChoices):
    """How a period is counted (Civil Code arts. 200–204)."""

    HOURS = "hours", _("小时")
    DAYS = "days", _("日")
    WORKDAYS = "workdays", _("工作日")
    MONTHS = "months", _("月")


class CalendarDayKind(models.TextChoices):
    """What the State Council's notice says about one date."""

    HOLIDAY = "holiday", _("放假")
    MAKEUP_WORKDAY = "makeup_workday", _("调休上班")


class CalendarOrigin(models.TextChoices):
    """How a year's schedule reached the database."""

    PACKAGE = "package", _("chinese-calendar 软件包")
    FILE = "file", _("导入文件")
    ADMIN = "admin", _("管理后台")
