"""Clause → rule: what opens an obligation, how its clock runs, who is bound, what follows.

One `ClauseRule` per clause of CLAUSES.md's "Duties with clocks". Other apps call
`yiyun.obligations.services.obligation_open(contract=…, clause="2.3", …)` with a rule's
key; apps that bring clauses of their own register rules for them in their
`AppConfig.ready()`:

    from yiyun.obligations.registry import ClauseRule, register

    register(ClauseRule(key="2.6", clause="2.6", title=_("ICP 备案到期"), clock="days",
                        n=30, before=True, bound="customer", penalty=""))

A key is the clause number, or the number and a variant where one clause has several
clocks: "4.2.complex" / "4.2.special" (4.2's two 48 h limits), "11.1.expiry" (the end of
the service period itself, where 11.1 decides between renewal and expiry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import Party, RightCode
from yiyun.core.errors import DomainError
from yiyun.obligations.choices import ObligationClock, ObligationKind


@dataclass(frozen=True)
class Reminder:
    """When to remind the bound party: `before` due, or at `fraction` of the period."""

    key: str
    before: timedelta | None = None
    fraction: float | None = None

    def at(self, trigger_at: datetime, due_at: datetime) -> datetime:
        if self.before is not None:
            return due_at - self.before
        return trigger_at + (due_at - trigger_at) * (self.fraction or 0)


HALF_TIME = Reminder("half", fraction=0.5)
DAY_BEFORE = Reminder("24h", before=timedelta(hours=24))
DEFAULT_REMINDERS = (HALF_TIME, DAY_BEFORE)
# A month-long notice window wants warnings well ahead.
LONG_REMINDERS = (
    Reminder("30d", before=timedelta(days=30)),
    Reminder("7d", before=timedelta(days=7)),
    DAY_BEFORE,
)


@dataclass(frozen=True)
class ClauseRule:
    """How one clause's clock runs.

    `clock`/`n`/`before`/`close_time` feed `yiyun.core.periods.deadline`; clock "set"
    means a party sets the limit and `obligation_open` must be given `due_at`.
    `penalty` is the penalty rule a breach applies ("5.1", or "" for none); `right` the
    right a breach grants the other side (a `RightCode`); `consequence` says the rest in
    words. `on_due`/`on_breach` are dotted paths of callables `f(*, obligation, now)` run
    inside the tick when the obligation comes due (OPTION/TERM) or is breached (DUTY).
    """

    key: str
    clause: str
    title: str
    clock: str
    n: int | None = None
    before: bool = False
    bound: str = Party.PROVIDER
    kind: str = ObligationKind.DUTY
    trigger: str = ""
    penalty: str = "5.1"
    right: str = ""
    consequence: str = ""
    pausable: bool = False
    reminders: tuple[Reminder, ...] = DEFAULT_REMINDERS
    close_time: time | None = None
    on_due: str = ""
    on_breach: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.clock not in ObligationClock.values:
            raise ValueError(f"rule {self.key}: unknown clock {self.clock!r}")
        if self.clock != ObligationClock.SET and not self.n:
            raise ValueError(f"rule {self.key}: clock {self.clock} needs n")
        if self.bound not in Party.values:
            raise ValueError(f"rule {self.key}: unknown bound party {self.bound!r}")
        if self.right and self.right not in RightCode.values:
            raise ValueError(f"rule {self.key}: unknown right {self.right!r}")


_RULES: dict[str, ClauseRule] = {}


def register(rule: ClauseRule, *, replace: bool = False) -> ClauseRule:
    """Add a rule. A key already registered is refused unless `replace` (say, to configure
    other reminder offsets for a deployment)."""
    if rule.key in _RULES and not replace:
        raise ValueError(f"a rule for {rule.key} is already registered")
    _RULES[rule.key] = rule
    return rule


def rule_for(key: str) -> ClauseRule:
    """The rule registered under `key`; DomainError naming the known keys otherwise."""
    try:
        return _RULES[key]
    except KeyError:
        raise DomainError(
            _("没有条款 %(key)s 的期限规则；已登记：%(known)s")
            % {"key": key, "known": ", ".join(sorted(_RULES))},
            code="unknown_clause",
            field="clause",
        ) from None


def registered(key: str) -> ClauseRule | None:
    """The rule under `key`, or None."""
    return _RULES.get(key)


def rules() -> list[ClauseRule]:
    return sorted(_RULES.values(), key=lambda rule: _clause_sort_key(rule.key))


def _clause_sort_key(key: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 999 for part in key.split("."))


# -- the seed contract's duties with clocks (CLAUSES.md) ---------------------------------

CUSTOMER, PROVIDER, EITHER = Party.CUSTOMER, Party.PROVIDER, Party.EITHER

for _rule in (
    # 2.1: rectification by the deadline the customer sets; else the customer may terminate.
    ClauseRule(
        key="2.1",
        clause="2.1",
        title=_("按甲方要求限期整改"),
        trigger=_("甲方要求整改（并设定期限）"),
        clock=ObligationClock.SET,
        bound=PROVIDER,
        right=RightCode.CUSTOMER_MAY_TERMINATE,
        consequence=_("甲方有权单方面解除合同"),
    ),
    # 2.2: a fault handled within 24 h, counted 24×7 from the moment it occurred.
    ClauseRule(
        key="2.2",
        clause="2.2",
        title=_("故障发生后24小时内处理完毕"),
        trigger=_("故障发生（甲方已通知乙方）"),
        clock=ObligationClock.HOURS,
        n=24,
        bound=PROVIDER,
        right=RightCode.CUSTOMER_MAY_TERMINATE,
        consequence=_("甲方有权解除合同"),
        reminders=(HALF_TIME, Reminder("2h", before=timedelta(hours=2))),
    ),
    # 2.3: confirm a change of the customer's contact list within 2 working days.
    ClauseRule(
        key="2.3",
        clause="2.3",
        title=_("收到人员变更通知后2个工作日内确认"),
        trigger=_("甲方书面通知联系人/管理人员变更"),
        clock=ObligationClock.WORKDAYS,
        n=2,
        bound=PROVIDER,
        consequence=_("未及时确认或更新的，责任由乙方承担"),
    ),
    # 2.10: the customer answers a complaint with evidence within 7 working days.
    ClauseRule(
        key="2.10",
        clause="2.10",
        title=_("收到投诉通知后7个工作日内说明并出具证明材料"),
        trigger=_("乙方通知甲方第三方质疑或投诉"),
        clock=ObligationClock.WORKDAYS,
        n=7,
        bound=CUSTOMER,
        penalty="",
        right=RightCode.PROVIDER_MAY_REMOVE_CONTENT,
        consequence=_("乙方可删除被投诉信息、暂停或终止服务"),
    ),
    # 3.6: after the provider's written notice, 30 days to rectify before any 3.3 measure.
    ClauseRule(
        key="3.6",
        clause="3.6",
        title=_("收到书面通知后30天内整改"),
        trigger=_("乙方书面通知甲方违反第二条约定"),
        clock=ObligationClock.DAYS,
        n=30,
        bound=CUSTOMER,
        penalty="",
        right=RightCode.PROVIDER_MAY_TAKE_MEASURES,
        consequence=_("整改期满未改正的，乙方方可采取3.3所列措施"),
        reminders=(HALF_TIME, Reminder("7d", before=timedelta(days=7)), DAY_BEFORE),
    ),
    # 3.7: the customer's consent before a change of service content takes effect.
    ClauseRule(
        key="3.7",
        clause="3.7",
        title=_("调整服务内容前征得甲方同意"),
        trigger=_("乙方计划调整服务内容、功能或操作方法（截止时间为计划调整时间）"),
        clock=ObligationClock.SET,
        bound=PROVIDER,
        consequence=_("未经同意调整的，后果由乙方自负"),
    ),
    # 4.2: a complex problem resolved within 48 h (24×7); the clock may wait on the customer.
    ClauseRule(
        key="4.2.complex",
        clause="4.2",
        title=_("复杂问题48小时内解决"),
        trigger=_("甲方通过服务电话提出问题"),
        clock=ObligationClock.HOURS,
        n=48,
        bound=PROVIDER,
        pausable=True,
        consequence=_("违反4.2"),
    ),
    # 4.2: a special problem: a solution submitted within 48 h.
    ClauseRule(
        key="4.2.special",
        clause="4.2",
        title=_("特殊问题48小时内提交解决方案"),
        trigger=_("甲方通过服务电话提出问题"),
        clock=ObligationClock.HOURS,
        n=48,
        bound=PROVIDER,
        pausable=True,
        consequence=_("违反4.2"),
    ),
    # 4.4: routine maintenance announced at least 24 h before it starts (trigger: the start).
    ClauseRule(
        key="4.4",
        clause="4.4",
        title=_("常规维护至少提前24小时通知"),
        trigger=_("常规维护计划开始时间"),
        clock=ObligationClock.HOURS,
        n=24,
        before=True,
        bound=PROVIDER,
        consequence=_("违反4.4"),
        reminders=(
            Reminder("12h", before=timedelta(hours=12)),
            Reminder("2h", before=timedelta(hours=2)),
        ),
    ),
    # 8.1.1: force majeure over a month: termination 15 days after the written notice.
    ClauseRule(
        key="8.1.1",
        clause="8.1.1",
        title=_("不可抗力解除通知期（15天）"),
        trigger=_("一方书面通知因不可抗力终止协议"),
        clock=ObligationClock.DAYS,
        n=15,
        bound=EITHER,
        kind=ObligationKind.TERM,
        penalty="",
        consequence=_("期满协议终止，任何一方均无须承担违约责任"),
        on_due="yiyun.contracts.services.termination_notice_ran_out",
        reminders=(DAY_BEFORE,),
    ),
    # 11.1: written notice of non-renewal at least one month before the end, else +1 year.
    ClauseRule(
        key="11.1",
        clause="11.1",
        title=_("期满前一个月书面通知不再续签"),
        trigger=_("服务期届满"),
        clock=ObligationClock.MONTHS,
        n=1,
        before=True,
        bound=EITHER,
        kind=ObligationKind.OPTION,
        penalty="",
        consequence=_("未通知的，合同期满顺延壹年"),
        reminders=LONG_REMINDERS,
    ),
    # 11.1: the end of the service period: renewal or expiry, decided by the notice above.
    ClauseRule(
        key="11.1.expiry",
        clause="11.1",
        title=_("服务期届满（顺延或终止）"),
        trigger=_("服务期最后一日24时"),
        clock=ObligationClock.SET,
        bound=EITHER,
        kind=ObligationKind.TERM,
        penalty="",
        consequence=_("已按时通知不续签的合同终止，否则顺延壹年"),
        on_due="yiyun.contracts.services.contract_expiry_reached",
        reminders=(),
    ),
    # 11.2: termination without cause: 20 working days' written notice and written consent.
    ClauseRule(
        key="11.2",
        clause="11.2",
        title=_("无故解除合同的20个工作日通知期"),
        trigger=_("一方书面提出解除合同"),
        clock=ObligationClock.WORKDAYS,
        n=20,
        bound=EITHER,
        kind=ObligationKind.TERM,
        penalty="",
        consequence=_(
            "经对方书面同意后解除；解除方承担被解除方的损失；乙方配合数据搬迁、转移或销毁"
        ),
        on_due="yiyun.contracts.services.termination_notice_ran_out",
        reminders=(DAY_BEFORE,),
    ),
):
    register(_rule)
# 5.3 has no clock: termination takes effect when the customer's notice is delivered
# (contracts.services.notice_record), so it has no rule here.
