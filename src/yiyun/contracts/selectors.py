"""Reads of the contract register: scoped lists, payment status, pro-rata amounts."""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from yiyun.contracts.choices import ChargeSource, PaymentStatus
from yiyun.contracts.models import Contract, Payment, PaymentScheduleItem
from yiyun.core import clock
from yiyun.core.money import cny, in_figures
from yiyun.tenancy.selectors import scoped

if TYPE_CHECKING:
    from yiyun.contracts.billing import ChargeLine


def contracts_visible(user) -> QuerySet[Contract]:
    """The contracts `user` may see: through the customer (provider staff see the
    contracts of the customers their organisation serves)."""
    return scoped(Contract.objects.select_related("customer", "provider"), user, via="customer")


def contract_children_visible(queryset: QuerySet, user) -> QuerySet:
    """Rows belonging to a contract, narrowed the same way."""
    return scoped(queryset, user, via="contract__customer")


@dataclass(frozen=True)
class PaymentLine:
    item: PaymentScheduleItem
    paid: Decimal
    status: PaymentStatus
    payments: list[Payment]

    @property
    def outstanding(self) -> Decimal:
        return max(self.item.amount - self.paid, Decimal(0))


def payment_lines(contract: Contract, *, today: date | None = None) -> list[PaymentLine]:
    """二.2: each scheduled payment with what was paid against it: due, paid, overdue."""
    today = today or clock.local(clock.now()).date()
    lines = []
    for item in contract.payment_schedule.prefetch_related("payments"):
        payments = list(item.payments.all())
        paid = sum((payment.amount for payment in payments), Decimal(0))
        if paid >= item.amount:
            status = PaymentStatus.PAID
        elif today > item.due_on:
            status = PaymentStatus.OVERDUE
        elif paid > 0:
            status = PaymentStatus.PARTLY_PAID
        else:
            status = PaymentStatus.DUE
        lines.append(PaymentLine(item=item, paid=paid, status=status, payments=payments))
    return lines


# -- 5.3: what the customer owes up to an early termination ------------------------------


@dataclass(frozen=True)
class ProrataLine:
    component: str
    amount: Decimal
    explanation: str


@dataclass
class Owed:
    until: date
    lines: list[ProrataLine] = field(default_factory=list)
    paid: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return cny(sum((line.amount for line in self.lines), Decimal(0)))

    @property
    def balance(self) -> Decimal:
        return cny(self.total - self.paid)


def add_months(day: date, months: int) -> date:
    """Civil Code art. 202: the corresponding day `months` on, or that month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, stdlib_calendar.monthrange(year, month + 1)[1]))


def prorata_owed(contract: Contract, *, until: date) -> Owed:
    """5.3: the service fees for the service provided from the start up to and including
    `until` (the termination date), pro rata, less what was paid up to then.

    The fees are the settlement's (`billing.statement_compute` from the service start to
    `until`, which `billing.settlement_compute` charges too): each recurring price in its
    own units counted from the service start (a contract year, a contract month), a unit
    served in part by days served / days in that unit, rounded to the fen per unit; a
    priced change (1.3) from the day it was applied; the rectification days (1.3) and
    the days after the last day served not at all. Here the statement's lines are summed
    per price (one line per price component, one per price of each change).
    """
    # billing builds on this module (payment lines, add_months): imported when called.
    from yiyun.contracts.billing import statement_compute

    owed = Owed(until=until)
    if until < contract.start:
        owed.lines = [
            ProrataLine(component.name, Decimal("0.00"), _("服务尚未开始"))
            for component in contract.price_components.all()
        ]
    else:
        statement = statement_compute(contract, start=contract.start, end=until)
        groups: dict[tuple, list[ChargeLine]] = {}
        for line in statement.lines:
            key = (
                line.source,
                line.source_label,
                line.description,
                line.unit_price,
                line.unit_days == 1,  # a one-off price apart from a recurring one
            )
            groups.setdefault(key, []).append(line)
        owed.lines = [_prorata_line(lines) for lines in groups.values()]
    paid = Payment.objects.filter(schedule_item__contract=contract, paid_on__lte=until).aggregate(
        total=Sum("amount")
    )["total"]
    owed.paid = cny(paid or 0)
    return owed


def _prorata_line(lines: list[ChargeLine]) -> ProrataLine:
    """The statement lines of one price, summed: its amount is theirs to the fen."""
    first = lines[0]
    amount = cny(sum((line.amount for line in lines), Decimal(0)))
    if first.source == ChargeSource.CHANGE:
        component = f"{first.source_label} {first.description}"
    else:
        component = first.description
    if first.unit_days == 1:  # a one-off price: one line, on the day it is charged
        return ProrataLine(component, amount, first.explanation)
    # Statement units are contract years (365 or 366 days) or contract months (28 to 31).
    unit = _("年") if first.unit_days >= 365 else _("月")
    whole = sum(1 for line in lines if line.days == line.unit_days)
    parts = [_("%(whole)s 整%(unit)s") % {"whole": whole, "unit": unit}] if whole else []
    parts += [
        _("%(days)s/%(unit_days)s 天") % {"days": line.days, "unit_days": line.unit_days}
        for line in lines
        if line.days != line.unit_days
    ]
    explanation = _("%(price)s/%(unit)s × %(parts)s") % {
        "price": in_figures(first.unit_price),
        "unit": unit,
        "parts": " + ".join(parts),
    }
    if first.source == ChargeSource.CHANGE:
        explanation += _("；自 %(day)s 起计费") % {"day": first.period_start.isoformat()}
    return ProrataLine(component, amount, explanation)
