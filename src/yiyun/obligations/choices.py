from django.db import models
from django.utils.translation import gettext_lazy as _


class ObligationState(models.TextChoices):
    OPEN = "open", _("进行中")
    MET = "met", _("已履行")
    BREACHED = "breached", _("已违约")
    WAIVED = "waived", _("已豁免")

    @property
    def colour(self) -> str:
        return {"open": "warn", "met": "ok", "breached": "bad", "waived": ""}[self.value]


class ObligationKind(models.TextChoices):
    """What passing `due_at` means.

    DUTY: a party must act before it; passing it is a breach with its consequences.
    OPTION: a party may act before it (11.1 non-renewal notice); passing it lapses the
    option (state WAIVED) and the rule's `on_due` runs.
    TERM: a period that simply runs out (a notice period, the contract's expiry); at its
    end the state is MET and the rule's `on_due` runs (termination takes effect, renewal).
    """

    DUTY = "duty", _("义务")
    OPTION = "option", _("期限内可行使的权利")
    TERM = "term", _("期间")


class ObligationClock(models.TextChoices):
    """core.choices.Clock plus SET: a limit a party sets (2.1's rectification deadline)."""

    HOURS = "hours", _("小时")
    DAYS = "days", _("日")
    WORKDAYS = "workdays", _("工作日")
    MONTHS = "months", _("月")
    SET = "set", _("约定时限")


# Clocks whose end depends on the holiday schedule (recomputed when a year changes).
CALENDAR_CLOCKS = (ObligationClock.DAYS, ObligationClock.WORKDAYS, ObligationClock.MONTHS)


class EventKind(models.TextChoices):
    OPENED = "opened", _("开始计时")
    REMINDED = "reminded", _("到期提醒")
    PAUSED = "paused", _("暂停计时")
    RESUMED = "resumed", _("恢复计时")
    MET = "met", _("已履行")
    MET_LATE = "met_late", _("逾期后履行")
    BREACHED = "breached", _("违约")
    LAPSED = "lapsed", _("期限届满未行使")
    RAN_OUT = "ran_out", _("期间届满")
    WAIVED = "waived", _("豁免")
    RECOMPUTED = "recomputed", _("重新计算期限")
    RECHECK = "recheck", _("日历更正后待复核")
    RETRIGGERED = "retriggered", _("起算时间变更")
