"""The clause rule the cloud app brings to the obligations engine: 2.7.4.

The contract forbids excessive use (2.7.4) and says nothing of a procedure. The platform
gives the customer the chance to answer a finding before the provider records any
measure: an obligation of the customer, with a period the parties set (the
`overuse_thresholds` open parameter, `response=N wd`; default 3 working days), computed
by `yiyun.core.periods.deadline` and passed to `obligation_open` as `due_at`.
"""

from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import Party
from yiyun.core.errors import DomainError
from yiyun.obligations.choices import ObligationClock
from yiyun.obligations.registry import ClauseRule, register, rule_for

OVERUSE_RESPONSE = "2.7.4"


def _register() -> None:
    try:
        rule_for(OVERUSE_RESPONSE)
    except DomainError:  # not registered yet (the engine may one day bring its own)
        register(
            ClauseRule(
                key=OVERUSE_RESPONSE,
                clause="2.7.4",
                title=_("对资源超量占用的发现作出说明"),
                trigger=_("乙方发现并通知甲方持续超量占用云平台资源"),
                clock=ObligationClock.SET,
                bound=Party.CUSTOMER,
                penalty="",
                on_breach="yiyun.cloud.services.overuse_response_overdue",
                consequence=_(
                    "逾期未说明的，乙方可记录处置措施；采取第3.3条所列措施仍须依3.6书面通知并给予30天整改期"
                ),
            )
        )


_register()
