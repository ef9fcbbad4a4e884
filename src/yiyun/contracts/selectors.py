"""Reads of the contract register: scoped lists, payment status, pro-rata amounts."""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from yiyun.contracts.choices import PaymentStatus, PricePeriod
from yiyun.contracts.models import Contract, Payment, PaymentScheduleItem
from yiyun.core import clock
from yiyun.core.money import cny
from yiyun.tenancy.selectors import scoped

ONE_DAY = timedelta(days=1)


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


def _served(start: date, until: date, months_per_unit: int) -> tuple[int, int, int]:
    """(whole units served, days served of the unit in progress, days of that unit):
    units of `months_per_unit` months counted from `start`, `until` inclusive."""
    whole = 0
    while add_months(start, (whole + 1) * months_per_unit) <= until + ONE_DAY:
        whole += 1
    unit_start = add_months(start, whole * months_per_unit)
    unit_end = add_months(start, (whole + 1) * months_per_unit)
    return whole, (until + ONE_DAY - unit_start).days, (unit_end - unit_start).days


def prorata_owed(contract: Contract, *, until: date) -> Owed:
    """5.3: the service fees for the service provided from the start up to and including
    `until` (the termination date), pro rata, less what was paid.

    Each recurring price runs in its own units counted from the service start: a yearly
    price per contract year, a monthly price per contract month; whole units count in
    full, the unit in progress by days served / days in that unit. A one-off price
    counts in full. Rounded to the fen per price, half up.
    """
    owed = Owed(until=until)
    last = min(until, contract.end)
    for component in contract.price_components.all():
        unit_price = component.amount * component.quantity
        if last < contract.start:
            amount, explanation = Decimal(0), _("服务尚未开始")
        elif component.period == PricePeriod.ONCE:
            amount, explanation = unit_price, _("一次性费用")
        else:
            months = 12 if component.period == PricePeriod.YEAR else 1
            whole, days, unit_days = _served(contract.start, last, months)
            amount = unit_price * whole + unit_price * days / unit_days
            unit = _("年") if months == 12 else _("月")
            explanation = _(
                "%(price)s/%(unit)s × %(whole)s 整%(unit)s + %(days)s/%(unit_days)s 天"
            ) % {
                "price": cny(unit_price),
                "unit": unit,
                "whole": whole,
                "days": days,
                "unit_days": unit_days,
            }
        owed.lines.append(ProrataLine(component.name, cny(amount), explanation))
    paid = Payment.objects.filter(schedule_item__contract=contract, paid_on__lte=until).aggregate(
        total=Sum("amount")
    )["total"]
    owed.paid = cny(paid or 0)
    return owed
