"""Billing (二.1, 二.2, 1.3, 5.3, 6.5): statements, payments, arrears, settlement, export.

- **Statements** (对账单): the charges of a period computed from the price components
  (二.1: the cloud fee per contract year, the circuits per contract month) and the
  changes priced from the catalogue (1.3) from the day each was applied. A unit (a
  contract year or month, counted from the service start like `prorata_owed`) served in
  full is charged in full; a unit cut by the period, a change, a termination or a
  rectification period (1.3: not part of the service period) is charged by day: price ×
  days charged / days in that unit, rounded to the fen half up, per line. Every line
  names its source (clause, price component or change request). `statement_issue` keeps
  a numbered statement as issued.
- **Payments** against the payment schedule (二.2) with reference and invoice number
  (`billing_payment_record`, which records through `contracts.services.payment_record`);
  each scheduled payment still to come is an obligation of the customer (rule "二.2"):
  reminders before it is due, overdue (breach) after; the customer's finance contacts
  get both in their inbox.
- **Arrears** (6.5): an amount overdue past the grace the parties set (open parameter
  `arrears_grace_days`) may start the end-of-service path; the platform shows the date
  from which that is possible and never starts it (`yiyun.datalife.endofservice` does,
  when a person decides).
- **Settlement** on termination or expiry (5.3): fees up to the last day served, payments
  made, penalties and rights from the breach ledger on the base the parties settled (on
  each candidate base while they have not).
- **Export** to Excel (xlsx) for the hospital's finance office.

Priced changes come through a small interface, `PricedChange`: the sources listed in
`PRICED_CHANGE_SOURCES` (dotted callables `f(contract) -> list[PricedChange]`; the cloud
app's applied change requests by default), or rows passed to `statement_compute` directly.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyun.contracts.choices import (
    ChargeSource,
    ContractStatus,
    Party,
    PaymentStatus,
    PenaltyStatus,
    PricePeriod,
)
from yiyun.contracts.ledger import Base, penalty_bases
from yiyun.contracts.models import (
    AcceptanceRecord,
    Contract,
    FinanceContact,
    OpenParameter,
    Payment,
    PaymentScheduleItem,
    Penalty,
    Right,
    Statement,
)
from yiyun.contracts.selectors import (
    PaymentLine,
    add_months,
    contract_children_visible,
    payment_lines,
)
from yiyun.contracts.services import payment_record
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.core.money import cny, in_capitals, in_figures
from yiyun.core.periods import deadline
from yiyun.notices.services import inbox_send
from yiyun.obligations.choices import ObligationClock, ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.registry import ClauseRule, Reminder, register, registered
from yiyun.obligations.services import obligation_meet, obligation_open, obligation_waive
from yiyun.tenancy.models import Person
from yiyun.tenancy.selectors import can_manage, is_read_only

log = logging.getLogger("yiyun.contracts.billing")

ONE_DAY = timedelta(days=1)
ZERO = Decimal("0.00")

PAYMENT_RULE = "二.2"
GRACE_KEY = "arrears_grace_days"
# Price components that stand for a priced change (the cloud app adds them when it applies
# a change): charged through the change, from the day it was applied, never as components.
CHANGE_COMPONENT_KINDS = {"cloud_change"}
PRICED_CHANGE_SOURCES = ["yiyun.contracts.billing.cloud_priced_changes"]

# 二.2: each scheduled payment is the customer's duty by the end of its due day. Missing
# it is a breach of a clause, so 5.1's penalty applies as to any other (a candidate on
# each base until the parties settle it; 5.1 lets them negotiate), and the amount is in
# arrears (6.5).
if registered(PAYMENT_RULE) is None:
    register(
        ClauseRule(
            key=PAYMENT_RULE,
            clause=PAYMENT_RULE,
            title=gettext_lazy("按付款计划付款"),
            trigger=gettext_lazy("付款计划（二.2）"),
            clock=ObligationClock.SET,
            bound=Party.CUSTOMER,
            penalty="5.1",
            consequence=gettext_lazy(
                "逾期未付即为欠费；超过双方约定的宽限期后，乙方可启动6.5的服务终止流程"
            ),
            reminders=(
                Reminder("30d", before=timedelta(days=30)),
                Reminder("7d", before=timedelta(days=7)),
                Reminder("1d", before=timedelta(days=1)),
            ),
            on_breach="yiyun.contracts.billing.payment_overdue",
        )
    )


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def _today() -> date:
    return clock.local(clock.now()).date()


def may_record(user, contract: Contract) -> bool:
    """May `user` record payments, issue statements, name finance contacts? Either side's
    administrators (a provider admin for the customers it serves); never auditors."""
    if user is None or isinstance(user, str):
        return True
    return not is_read_only(user) and can_manage(user, contract.customer)


def _require_record(by, contract: Contract) -> None:
    if not may_record(by, contract):
        raise PermissionDenied(_("只读账号或成员不能登记账务"))


# -- priced changes (1.3) -----------------------------------------------------------------


@dataclass(frozen=True)
class PricedChangeLine:
    """One price of a change: `amount` per `period` (year, month) or once."""

    description: str
    amount: Decimal
    period: str


@dataclass(frozen=True)
class PricedChange:
    """A change priced from the catalogue (1.3), charged from the day it was applied.

    This is the interface a source of changes implements: `reference` names it on the
    statement ("变更申请 #12"), `applied_on` is the first day charged, `lines` its prices.
    `component_ids` are price components of the contract standing for the change: they
    are charged here (from `applied_on`), never again as components.
    """

    reference: str
    title: str
    applied_on: date
    lines: tuple[PricedChangeLine, ...]
    component_ids: tuple[int, ...] = ()
    link: str = ""


def cloud_priced_changes(contract: Contract) -> list[PricedChange]:
    """The cloud app's applied change requests with their stored quotes (1.3)."""
    from yiyun.cloud.choices import ChangeState, Resource
    from yiyun.cloud.models import ChangeRequest

    changes = []
    applied = ChangeRequest.objects.filter(
        contract=contract, state=ChangeState.APPLIED, applied_at__isnull=False
    ).order_by("applied_at", "pk")
    for change in applied:
        lines = []
        for line in (change.quote or {}).get("lines", []):
            amount = Decimal(str(line.get("amount") or 0))
            if amount <= 0 or line.get("period") not in PricePeriod.values:
                continue  # resources given back are not charged (see cloud.quote_build)
            resource = line.get("resource", "")
            label = Resource(resource).label if resource in Resource.values else resource
            lines.append(
                PricedChangeLine(
                    description=_("%(resource)s +%(quantity)s × %(price)s/%(period)s（%(source)s）")
                    % {
                        "resource": label,
                        "quantity": line.get("quantity", ""),
                        "price": line.get("unit_price", ""),
                        "period": PricePeriod(line["period"]).label,
                        "source": " ".join(
                            part for part in (line.get("catalogue"), line.get("code")) if part
                        )
                        or _("价格目录"),
                    },
                    amount=amount,
                    period=line["period"],
                )
            )
        changes.append(
            PricedChange(
                reference=_("变更申请 #%(pk)s") % {"pk": change.pk},
                title=change.title,
                applied_on=clock.local(change.applied_at).date(),
                lines=tuple(lines),
                component_ids=(change.price_component_id,) if change.price_component_id else (),
                link=reverse("cloud:change", kwargs={"pk": change.pk}),
            )
        )
    return changes


def priced_changes(contract: Contract) -> list[PricedChange]:
    """Every priced change of `contract`, from each source in PRICED_CHANGE_SOURCES."""
    found = []
    for path in PRICED_CHANGE_SOURCES:
        found.extend(import_string(path)(contract))
    return found


# -- statements --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeLine:
    """One line of a statement: what is charged, for which days, and where it comes from."""

    source: str
    clause: str
    source_label: str
    description: str
    period_start: date
    period_end: date
    days: int
    unit_days: int
    unit_price: Decimal
    amount: Decimal
    explanation: str
    link: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("period_start", "period_end"):
            data[key] = data[key].isoformat()
        for key in ("unit_price", "amount"):
            data[key] = str(data[key])
        return data


@dataclass
class StatementData:
    """The charges of `start`..`end` (dates inclusive), with the payments due and made in
    it. `served_from`/`served_to` clip the period to the service period; `excluded`
    the rectification days (1.3) not charged."""

    contract: Contract
    start: date
    end: date
    served_from: date | None
    served_to: date | None
    lines: list[ChargeLine] = field(default_factory=list)
    excluded: list[tuple[date, date]] = field(default_factory=list)
    schedule: list[PaymentLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return cny(sum((line.amount for line in self.lines), ZERO))

    @property
    def total_capitals(self) -> str:
        return in_capitals(self.total)

    @property
    def due_total(self) -> Decimal:
        return cny(sum((line.item.amount for line in self.schedule), ZERO))

    @property
    def paid_total(self) -> Decimal:
        return cny(sum((payment.amount for payment in self.payments), ZERO))

    def snapshot(self) -> dict:
        return {
            "contract": self.contract.number,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "lines": [line.as_dict() for line in self.lines],
            "total": str(self.total),
        }


def service_window(contract: Contract) -> tuple[date, date]:
    """The first and last day of service charged: the service period, up to the last day
    served when the contract ended early (the day its termination took effect)."""
    last = contract.end
    if contract.ended_at is not None:
        # The last day on which any service was provided (a termination effective at
        # 10:00 still served that day; one effective at 00:00 did not).
        last = min(last, clock.local(contract.ended_at - timedelta(microseconds=1)).date())
    return contract.start, last


def rectification_periods(contract: Contract) -> list[tuple[date, date]]:
    """1.3: the days of each completed rectification period, which do not count toward
    the service period and are not charged: from the day after it started up to and
    including the day it was complete (the days the end date was moved by)."""
    periods = []
    records = AcceptanceRecord.objects.filter(
        contract=contract, rectification_completed_at__isnull=False, shift__isnull=False
    ).order_by("round")
    for record in records:
        first = clock.local(record.rectification_started_at).date() + ONE_DAY
        last = clock.local(record.rectification_completed_at).date()
        if first <= last:
            periods.append((first, last))
    return periods


def _excluded_days(periods, lo: date, hi: date) -> int:
    days = 0
    for first, last in periods:
        a, b = max(first, lo), min(last, hi)
        if a <= b:
            days += (b - a).days + 1
    return days


def _units(start: date, months: int, first: date, last: date):
    """The units of `months` months counted from `start` (art. 202) that overlap
    first..last, as (unit start, unit end exclusive)."""
    offset = (first.year - start.year) * 12 + first.month - start.month
    index = max(0, offset // months - 1)
    while True:
        unit_start = add_months(start, index * months)
        unit_end = add_months(start, (index + 1) * months)
        if unit_start > last:
            return
        if unit_end > first:
            yield unit_start, unit_end
        index += 1


def _recurring(
    *,
    contract_start: date,
    period: str,
    unit_price: Decimal,
    first: date,
    last: date,
    excluded,
    make,
) -> list[ChargeLine]:
    months = 12 if period == PricePeriod.YEAR else 1
    unit_word = _("年") if months == 12 else _("月")
    lines = []
    for unit_start, unit_end in _units(contract_start, months, first, last):
        lo, hi = max(first, unit_start), min(last, unit_end - ONE_DAY)
        if lo > hi:
            continue
        unit_days = (unit_end - unit_start).days
        skipped = _excluded_days(excluded, lo, hi)
        days = (hi - lo).days + 1 - skipped
        if days <= 0:
            continue
        if days == unit_days:
            amount = cny(unit_price)
            explanation = _("%(price)s/%(unit)s，整%(unit)s") % {
                "price": in_figures(unit_price),
                "unit": unit_word,
            }
        else:
            amount = cny(unit_price * days / unit_days)
            explanation = _("%(price)s/%(unit)s × %(days)s/%(unit_days)s 天") % {
                "price": in_figures(unit_price),
                "unit": unit_word,
                "days": days,
                "unit_days": unit_days,
            }
        if skipped:
            explanation += _("（扣除整改期 %(days)s 天，1.3）") % {"days": skipped}
        lines.append(make(lo, hi, days, unit_days, cny(unit_price), amount, explanation))
    return lines


def statement_compute(
    contract: Contract, *, start: date, end: date, changes: list[PricedChange] | None = None
) -> StatementData:
    """The charges of `start`..`end` (both included), line by line (see the module
    docstring), with the scheduled payments due and the payments made in the period.
    `changes`: the priced changes to charge (default: `priced_changes(contract)`)."""
    if end < start:
        raise DomainError(_("计费期止不能早于计费期起"), field="end")
    served_start, served_last = service_window(contract)
    first, last = max(start, served_start), min(end, served_last)
    data = StatementData(
        contract=contract,
        start=start,
        end=end,
        served_from=first if first <= last else None,
        served_to=last if first <= last else None,
    )
    if changes is None:
        changes = priced_changes(contract)
    change_components = {pk for change in changes for pk in change.component_ids}
    excluded = rectification_periods(contract)
    data.excluded = excluded
    if first <= last:
        for component in contract.price_components.all():
            if component.kind in CHANGE_COMPONENT_KINDS or component.pk in change_components:
                continue
            unit_price = component.amount * component.quantity

            def make(lo, hi, days, unit_days, price, amount, explanation, component=component):
                return ChargeLine(
                    source=ChargeSource.COMPONENT,
                    clause="二.1",
                    source_label=_("二.1 价款组成：%(name)s") % {"name": component.name},
                    description=component.name,
                    period_start=lo,
                    period_end=hi,
                    days=days,
                    unit_days=unit_days,
                    unit_price=price,
                    amount=amount,
                    explanation=explanation,
                )

            if component.period == PricePeriod.ONCE:
                if first <= contract.start <= last:
                    data.lines.append(
                        make(
                            contract.start,
                            contract.start,
                            1,
                            1,
                            cny(unit_price),
                            cny(unit_price),
                            _("一次性费用"),
                        )
                    )
                continue
            data.lines.extend(
                _recurring(
                    contract_start=contract.start,
                    period=component.period,
                    unit_price=unit_price,
                    first=first,
                    last=last,
                    excluded=excluded,
                    make=make,
                )
            )
        for change in sorted(changes, key=lambda c: (c.applied_on, c.reference)):
            change_first = max(first, change.applied_on)
            for line in change.lines:

                def make(
                    lo, hi, days, unit_days, price, amount, explanation, change=change, line=line
                ):
                    return ChargeLine(
                        source=ChargeSource.CHANGE,
                        clause="1.3",
                        source_label=_("1.3 %(reference)s：%(title)s")
                        % {"reference": change.reference, "title": change.title},
                        description=line.description,
                        period_start=lo,
                        period_end=hi,
                        days=days,
                        unit_days=unit_days,
                        unit_price=price,
                        amount=amount,
                        explanation=explanation
                        + _("；自 %(day)s 起计费") % {"day": change.applied_on.isoformat()},
                        link=change.link,
                    )

                if line.period == PricePeriod.ONCE:
                    if first <= change.applied_on <= last:
                        data.lines.append(
                            make(
                                change.applied_on,
                                change.applied_on,
                                1,
                                1,
                                cny(line.amount),
                                cny(line.amount),
                                _("一次性费用"),
                            )
                        )
                    continue
                if change_first > last:
                    continue
                data.lines.extend(
                    _recurring(
                        contract_start=contract.start,
                        period=line.period,
                        unit_price=line.amount,
                        first=change_first,
                        last=last,
                        excluded=excluded,
                        make=make,
                    )
                )
    data.schedule = [line for line in payment_lines(contract) if start <= line.item.due_on <= end]
    data.payments = list(
        Payment.objects.filter(
            schedule_item__contract=contract, paid_on__gte=start, paid_on__lte=end
        ).select_related("schedule_item")
    )
    return data


def contract_years(contract: Contract) -> list[tuple[int, date, date]]:
    """(n, first day, last day) of each contract year up to the current end — the periods
    offered for statements."""
    years, index = [], 0
    while True:
        first = add_months(contract.start, index * 12)
        if first > contract.end:
            return years
        years.append((index + 1, first, add_months(contract.start, (index + 1) * 12) - ONE_DAY))
        index += 1


def statements_visible(user) -> QuerySet[Statement]:
    return contract_children_visible(
        Statement.objects.select_related("contract", "contract__customer"), user
    )


def _digest(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def statement_issue(*, contract: Contract, start: date, end: date, by) -> Statement:
    """Issue a numbered statement for `start`..`end`: the lines as computed now are kept
    as issued (with their SHA-256), whatever changes later."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require_record(by, contract)
    data = statement_compute(contract, start=start, end=end)
    sequence = contract.statements.count() + 1
    number = f"{contract.number}-DZ{sequence:03d}"
    snapshot = {"number": number, **data.snapshot()}
    statement = Statement.objects.create(
        contract=contract,
        number=number,
        period_start=start,
        period_end=end,
        total=data.total,
        lines=snapshot["lines"],
        sha256=_digest(snapshot),
        issued_by=_actor_label(by),
        issued_at=clock.now(),
    )
    audit_record(
        actor=by,
        action="contract.statement_issued",
        obj=contract,
        organisation=contract.customer_id,
        data={
            "statement": number,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "total": str(data.total),
            "lines": len(data.lines),
            "sha256": statement.sha256,
        },
    )
    return statement


def statement_verify(statement: Statement) -> bool:
    """Is the issued statement still what was issued (its lines against its SHA-256)?"""
    snapshot = {
        "number": statement.number,
        "contract": statement.contract.number,
        "start": statement.period_start.isoformat(),
        "end": statement.period_end.isoformat(),
        "lines": statement.lines,
        "total": str(cny(statement.total)),
    }
    return _digest(snapshot) == statement.sha256


# -- payments and their reminders (二.2) --------------------------------------------------


def finance_contacts(contract: Contract) -> list[Person]:
    return [
        contact.person
        for contact in FinanceContact.objects.filter(contract=contract).select_related("person")
    ]


@transaction.atomic
def finance_contact_add(*, contract: Contract, person: Person, by) -> FinanceContact:
    """Name a person of the customer who receives the payment reminders (二.2)."""
    _require_record(by, contract)
    if person.organisation_id != contract.customer_id:
        raise DomainError(
            _("财务联系人必须是%(customer)s的人员") % {"customer": contract.customer.name},
            field="person",
        )
    contact, created = FinanceContact.objects.get_or_create(
        contract=contract,
        person=person,
        defaults={"designated_by": _actor_label(by), "designated_at": clock.now()},
    )
    if created:
        audit_record(
            actor=by,
            action="contract.finance_contact_added",
            obj=contract,
            organisation=contract.customer_id,
            data={"person": person.pk, "name": person.name},
        )
    return contact


@transaction.atomic
def finance_contact_remove(*, contract: Contract, person: Person, by) -> bool:
    """`person` no longer receives the payment reminders; False when it did not."""
    _require_record(by, contract)
    removed, _count = FinanceContact.objects.filter(contract=contract, person=person).delete()
    if removed:
        audit_record(
            actor=by,
            action="contract.finance_contact_removed",
            obj=contract,
            organisation=contract.customer_id,
            data={"person": person.pk, "name": person.name},
        )
    return bool(removed)


def _payment_obligations(contract: Contract) -> dict[int, Obligation]:
    """The 二.2 obligation of each scheduled payment that has one (the latest)."""
    found = {}
    for obligation in Obligation.objects.filter(contract=contract, rule=PAYMENT_RULE).order_by(
        "pk"
    ):
        if obligation.subject_id.isdigit():
            found[int(obligation.subject_id)] = obligation
    return found


@transaction.atomic
def billing_setup(*, contract: Contract, by=None) -> list[Obligation]:
    """What billing needs of a contract, made sure of (idempotent):

    - the open parameter `arrears_grace_days` (6.5), for the parties to set;
    - a 二.2 obligation for each scheduled payment still to come and not yet paid, due at
      24:00 of its due day, reminding 30, 7 and 1 days before. Payments already due when
      this runs get none (they show as overdue; no breach is recorded after the fact).

    Returns the obligations it opened. Run by `billing_sync` (the worker) for every
    active contract; the contract loader may call it right after loading.
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not contract.open_parameters.filter(key=GRACE_KEY).exists():
        position = (contract.open_parameters.aggregate(last=Max("position"))["last"] or 0) + 1
        OpenParameter.objects.create(
            contract=contract,
            position=position,
            key=GRACE_KEY,
            label=_("欠费宽限期（天）：逾期超过该天数后，乙方方可启动6.5的服务终止流程"),
            clause="6.5",
        )
        audit_record(
            actor=by,
            action="contract.parameter_added",
            obj=contract,
            organisation=contract.customer_id,
            data={"key": GRACE_KEY, "clause": "6.5"},
        )
    if contract.status != ContractStatus.ACTIVE:
        _waive_after_end(contract, by=by)
        return []
    existing = _payment_obligations(contract)
    moment = clock.now()
    opened = []
    for line in payment_lines(contract):
        item = line.item
        due_at = _start_of(item.due_on + ONE_DAY)  # 24:00 of the due day
        if item.pk in existing or line.outstanding <= 0 or due_at <= moment:
            continue
        opened.append(
            obligation_open(
                contract=contract,
                clause=PAYMENT_RULE,
                subject=item,
                trigger_at=moment,
                due_at=due_at,
                note=_("%(label)s %(amount)s") % {"label": item.label, "amount": cny(item.amount)},
                by=by or "system",
            )
        )
    return opened


def _waive_after_end(contract: Contract, *, by) -> None:
    """The contract has ended: scheduled payments not yet due, and a rectification still
    running, are no longer owed as such — what is owed is in the settlement."""
    from yiyun.contracts.acceptance import RECTIFICATION_RULE

    pending = Obligation.objects.filter(
        contract=contract,
        rule__in=[PAYMENT_RULE, RECTIFICATION_RULE],
        state=ObligationState.OPEN,
    )
    for obligation in pending:
        obligation_waive(
            obligation=obligation,
            by=by or "system",
            reason=_("合同已%(status)s（%(clause)s），按结算单结算")
            % {"status": contract.get_status_display(), "clause": contract.end_clause or "—"},
        )


def _paid_moment(obligation: Obligation, paid_on: date) -> datetime:
    """When a payment made on `paid_on` is taken to have met its obligation: the end of
    that day (or now, if that is earlier), never before the obligation opened."""
    at = min(clock.now(), _start_of(paid_on + ONE_DAY) - timedelta(seconds=1))
    return max(at, obligation.trigger_at)


def payments_sync(*, contract: Contract, by=None) -> int:
    """Meet the 二.2 obligation of every scheduled payment paid in full (payments recorded
    through any path). Returns how many it met."""
    met = 0
    obligations = _payment_obligations(contract)
    for line in payment_lines(contract):
        obligation = obligations.get(line.item.pk)
        if obligation is None or line.outstanding > 0 or not line.payments:
            continue
        if obligation.state == ObligationState.OPEN or (
            obligation.state == ObligationState.BREACHED and obligation.met_at is None
        ):
            last = max(payment.paid_on for payment in line.payments)
            obligation_meet(
                obligation=obligation,
                at=_paid_moment(obligation, last),
                by=by or "system",
                evidence=_("已付清：%(payments)s")
                % {
                    "payments": "；".join(
                        f"{p.paid_on:%Y-%m-%d} {cny(p.amount)} {p.reference}".strip()
                        for p in line.payments
                    )
                },
            )
            met += 1
    return met


@transaction.atomic
def billing_payment_record(
    *,
    schedule_item: PaymentScheduleItem,
    amount,
    paid_on: date,
    by,
    reference: str = "",
    invoice_number: str = "",
) -> Payment:
    """二.2: a payment against a scheduled one, with its reference (凭证号) and invoice
    number (发票号码). Recorded through `contracts.services.payment_record`; more than the
    amount still open is refused; paying it in full meets its 二.2 obligation."""
    contract = schedule_item.contract
    _require_record(by, contract)
    # One payment against an item at a time: what is still open is read under the lock.
    schedule_item = PaymentScheduleItem.objects.select_for_update().get(pk=schedule_item.pk)
    (line,) = [line for line in payment_lines(contract) if line.item.pk == schedule_item.pk]
    try:
        value = cny(amount)
    except ValueError:
        raise DomainError(_("金额不是数字"), field="amount") from None
    if value > line.outstanding:
        raise DomainError(
            _("金额超过未付金额 %(outstanding)s") % {"outstanding": cny(line.outstanding)},
            field="amount",
        )
    payment = payment_record(
        schedule_item=schedule_item, amount=value, paid_on=paid_on, reference=reference, by=by
    )
    invoice_number = (invoice_number or "").strip()
    if invoice_number:
        payment.invoice_number = invoice_number[:60]
        payment.save(update_fields=["invoice_number"])
        audit_record(
            actor=by,
            action="contract.payment_invoice_recorded",
            obj=contract,
            organisation=contract.customer_id,
            data={"payment": payment.pk, "invoice_number": payment.invoice_number},
        )
    payments_sync(contract=contract, by=by)
    return payment


def _payment_link(contract: Contract) -> str:
    return reverse("contracts:billing", kwargs={"pk": contract.pk})


def _item_of(obligation: Obligation) -> PaymentScheduleItem | None:
    if not obligation.subject_id.isdigit():
        return None
    return PaymentScheduleItem.objects.filter(
        pk=int(obligation.subject_id), contract_id=obligation.contract_id
    ).first()


def payment_overdue(*, obligation: Obligation, now: datetime) -> None:
    """二.2 breached (the tick's on_breach): tell the customer's finance contacts the
    payment is overdue, and from when the end-of-service path may start (6.5)."""
    item = _item_of(obligation)
    contacts = finance_contacts(obligation.contract)
    if item is None or not contacts:
        return
    arrears = arrears_of(obligation.contract, now=now)
    possible = next((entry for entry in arrears.items if entry.item.pk == item.pk), None)
    when = (
        _("超过宽限期后（%(at)s 起）乙方可依6.5启动服务终止流程。")
        % {"at": f"{clock.local(possible.end_of_service_from):%Y-%m-%d %H:%M}"}
        if possible is not None and possible.end_of_service_from is not None
        else _("双方尚未约定欠费宽限期（6.5）。")
    )
    inbox_send(
        recipients=contacts,
        subject=_("逾期未付：%(label)s %(amount)s（应付日期 %(due)s）")
        % {"label": item.label, "amount": cny(item.amount), "due": item.due_on.isoformat()},
        body=_("合同 %(number)s 的付款已逾期（二.2）。%(when)s")
        % {"number": obligation.contract.number, "when": when},
        link=_payment_link(obligation.contract),
        source=f"billing:{obligation.pk}:overdue",
    )


def reminders_forward(*, contract: Contract) -> int:
    """Send the customer's finance contacts each 二.2 reminder the obligations tick has
    sent (the tick reminds the customer's administrators). Once per contact and reminder.
    Returns how many messages it sent."""
    contacts = finance_contacts(contract)
    if not contacts:
        return 0
    sent = 0
    obligations = Obligation.objects.filter(
        contract=contract, rule=PAYMENT_RULE, state=ObligationState.OPEN
    )
    for obligation in obligations:
        item = _item_of(obligation)
        if item is None:
            continue
        for entry in obligation.reminder_plan:
            if not entry.get("sent"):
                continue
            sent += len(
                inbox_send(
                    recipients=contacts,
                    subject=_("付款提醒：%(label)s %(amount)s 应于 %(due)s 前支付（二.2）")
                    % {
                        "label": item.label,
                        "amount": cny(item.amount),
                        "due": item.due_on.isoformat(),
                    },
                    body=_("合同 %(number)s：付款计划的应付日期为 %(due)s。")
                    % {"number": contract.number, "due": item.due_on.isoformat()},
                    link=_payment_link(contract),
                    source=f"billing:{obligation.pk}:{entry['key']}",
                )
            )
    return sent


def billing_sync() -> dict:
    """The worker's job: for each active contract (and each ended one with payments still
    pending), `billing_setup`, `payments_sync` and `reminders_forward`. One contract's failure is logged and does not stop the others."""
    report = {"contracts": 0, "opened": 0, "met": 0, "forwarded": 0, "failed": 0}
    contracts = Contract.objects.filter(
        Q(status=ContractStatus.ACTIVE)
        | Q(obligations__rule=PAYMENT_RULE, obligations__state=ObligationState.OPEN)
    ).distinct()
    for contract in contracts.order_by("pk"):
        try:
            with transaction.atomic():
                report["opened"] += len(billing_setup(contract=contract, by="worker"))
                report["met"] += payments_sync(contract=contract, by="worker")
                report["forwarded"] += reminders_forward(contract=contract)
            report["contracts"] += 1
        except Exception:
            log.exception("billing sync: contract %s failed", contract.pk)
            report["failed"] += 1
    return report


# -- arrears (6.5) ------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrearsItem:
    item: PaymentScheduleItem
    outstanding: Decimal
    overdue_since: datetime
    end_of_service_from: datetime | None
    unconfirmed: bool = False


@dataclass
class Arrears:
    """What is overdue, and from when the end of service (6.5) may be started for it."""

    grace_days: int | None
    items: list[ArrearsItem] = field(default_factory=list)
    now: datetime | None = None

    @property
    def total(self) -> Decimal:
        return cny(sum((entry.outstanding for entry in self.items), ZERO))

    @property
    def earliest(self) -> datetime | None:
        moments = [e.end_of_service_from for e in self.items if e.end_of_service_from]
        return min(moments) if moments else None

    @property
    def may_start(self) -> bool:
        return self.earliest is not None and self.now is not None and self.now >= self.earliest


def grace_days_of(contract: Contract) -> int | None:
    """The grace (days) the parties set for arrears (6.5), or None while not set."""
    value = (
        contract.open_parameters.filter(key=GRACE_KEY).values_list("value", flat=True).first() or ""
    ).strip()
    if not value:
        return None
    try:
        days = int(value)
    except ValueError:
        return None
    return days if days >= 0 else None


def arrears_of(contract: Contract, *, now: datetime | None = None) -> Arrears:
    """Each scheduled payment overdue with an amount open: overdue since 24:00 of its due
    day; the end-of-service path (6.5) may start once the grace the parties set has run —
    `grace` calendar days counted from the day after the due day (Civil Code arts.
    201/203, through `core.periods.deadline`). Display only: nothing is started here."""
    now = now or clock.now()
    today = clock.local(now).date()
    arrears = Arrears(grace_days=grace_days_of(contract), now=now)
    for line in payment_lines(contract, today=today):
        if line.status != PaymentStatus.OVERDUE or line.outstanding <= 0:
            continue
        overdue_since = _start_of(line.item.due_on + ONE_DAY)
        possible, unconfirmed = None, False
        if arrears.grace_days is not None:
            if arrears.grace_days == 0:
                possible = overdue_since
            else:
                result = deadline(
                    _start_of(line.item.due_on), clock=ObligationClock.DAYS, n=arrears.grace_days
                )
                possible, unconfirmed = result.due_at, result.unconfirmed
        arrears.items.append(
            ArrearsItem(
                item=line.item,
                outstanding=cny(line.outstanding),
                overdue_since=overdue_since,
                end_of_service_from=possible,
                unconfirmed=unconfirmed,
            )
        )
    return arrears


# -- settlement (5.3, 11.1, 8.1.1, 11.2) ----------------------------------------------------


@dataclass
class PenaltyTotals:
    base: Base
    provider: Decimal = ZERO
    customer: Decimal = ZERO
    rows: list[Penalty] = field(default_factory=list)


@dataclass
class SettlementLine:
    base: Base
    fees: Decimal
    paid: Decimal
    customer_penalties: Decimal
    provider_penalties: Decimal

    @property
    def balance(self) -> Decimal:
        """What the customer still owes the provider (negative: the provider owes)."""
        return cny(self.fees - self.paid + self.customer_penalties - self.provider_penalties)

    @property
    def balance_capitals(self) -> str:
        return in_capitals(abs(self.balance))


@dataclass
class Settlement:
    contract: Contract
    last_day: date
    final: bool
    basis: str
    statement: StatementData
    payments: list[Payment]
    base_settled: bool
    penalties: list[PenaltyTotals]
    rights: list[Right]

    @property
    def fees(self) -> Decimal:
        return self.statement.total

    @property
    def paid(self) -> Decimal:
        return cny(sum((payment.amount for payment in self.payments), ZERO))

    @property
    def has_penalties(self) -> bool:
        return any(totals.rows for totals in self.penalties)

    @property
    def lines(self) -> list[SettlementLine]:
        return [
            SettlementLine(
                base=totals.base,
                fees=self.fees,
                paid=self.paid,
                customer_penalties=totals.customer,
                provider_penalties=totals.provider,
            )
            for totals in self.penalties
        ]


def settlement_compute(contract: Contract, *, until: date | None = None) -> Settlement:
    """The settlement of `contract`: fees for the service provided from the start up to
    the last day served (5.3: the day the termination took effect; at expiry the end),
    the payments made, and the breach ledger's penalties (applicable ones on the settled
    base; while the base is open, the candidates on each base — one balance per base).
    A contract still running is settled as of `until` (default today) as a preview."""
    final = contract.status != ContractStatus.ACTIVE
    _start, served_last = service_window(contract)
    last_day = served_last if final else min(until or _today(), served_last)
    statement = statement_compute(contract, start=contract.start, end=last_day)
    payments = list(
        Payment.objects.filter(schedule_item__contract=contract)
        .select_related("schedule_item")
        .order_by("paid_on", "pk")
    )
    bases, settled = penalty_bases(contract)
    totals = {base.key: PenaltyTotals(base=base) for base in bases}
    wanted = PenaltyStatus.APPLICABLE if settled else PenaltyStatus.CANDIDATE
    for penalty in contract.penalties.filter(status=wanted).select_related("obligation"):
        entry = totals.get(penalty.base_key)
        if entry is None:
            continue
        entry.rows.append(penalty)
        if penalty.liable_party == Party.PROVIDER:
            entry.provider = cny(entry.provider + penalty.amount)
        elif penalty.liable_party == Party.CUSTOMER:
            entry.customer = cny(entry.customer + penalty.amount)
    return Settlement(
        contract=contract,
        last_day=last_day,
        final=final,
        basis=contract.end_clause if final else "",
        statement=statement,
        payments=payments,
        base_settled=settled,
        penalties=list(totals.values()),
        rights=list(contract.rights.all()),
    )


# -- documents: PDF and xlsx ---------------------------------------------------------------


def settlement_pdf(settlement: Settlement) -> bytes:
    """The settlement statement (结算单) as a PDF (Chinese, A4)."""
    from yiyun.notices.pdf import render_pdf

    with translation.override("zh-hans"):
        html = render_to_string(
            "contracts/billing/settlement_pdf.html",
            {
                "settlement": settlement,
                "contract": settlement.contract,
                "generated_at": clock.local(clock.now()),
            },
        )
    return render_pdf(html)


MONEY_FORMAT = "#,##0.00"


def billing_workbook(contract: Contract, *, start: date, end: date) -> bytes:
    """The statement of `start`..`end`, the payment schedule and the payments, as an
    Excel workbook (three sheets, each with its total) for the finance office."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    statement = statement_compute(contract, start=start, end=end)
    bold = Font(bold=True)
    book = Workbook()

    sheet = book.active
    sheet.title = _("对账单")
    sheet.append([_("对账单"), contract.title])
    sheet.append([_("合同编号"), contract.number])
    sheet.append([_("采购单位（甲方）"), contract.customer.name])
    sheet.append([_("服务单位（乙方）"), contract.provider.name])
    sheet.append([_("计费期"), start, end])
    sheet.append([])
    header = [
        _("序号"),
        _("来源"),
        _("条款"),
        _("项目"),
        _("计费期起"),
        _("计费期止"),
        _("计费天数"),
        _("周期天数"),
        _("单价（元/周期）"),
        _("金额（元）"),
        _("计算说明"),
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for position, line in enumerate(statement.lines, start=1):
        sheet.append(
            [
                position,
                line.source_label,
                line.clause,
                line.description,
                line.period_start,
                line.period_end,
                line.days,
                line.unit_days,
                line.unit_price,
                line.amount,
                line.explanation,
            ]
        )
    sheet.append(
        [
            _("合计"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            statement.total,
            statement.total_capitals,
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    _format(sheet, money_columns=("I", "J"), date_columns=("E", "F"), first_row=8)
    sheet["B5"].number_format = sheet["C5"].number_format = "yyyy-mm-dd"

    schedule = book.create_sheet(_("付款计划"))
    schedule.append(
        [_("序号"), _("款项"), _("应付日期"), _("应付金额"), _("已付"), _("未付"), _("状态")]
    )
    for cell in schedule[1]:
        cell.font = bold
    lines = payment_lines(contract)
    for line in lines:
        schedule.append(
            [
                line.item.position,
                line.item.label,
                line.item.due_on,
                line.item.amount,
                cny(line.paid),
                cny(line.outstanding),
                str(line.status.label),
            ]
        )
    schedule.append(
        [
            _("合计"),
            None,
            None,
            cny(sum((line.item.amount for line in lines), ZERO)),
            cny(sum((line.paid for line in lines), ZERO)),
            cny(sum((line.outstanding for line in lines), ZERO)),
        ]
    )
    for cell in schedule[schedule.max_row]:
        cell.font = bold
    _format(schedule, money_columns=("D", "E", "F"), date_columns=("C",), first_row=2)

    payments = book.create_sheet(_("付款记录"))
    payments.append(
        [
            _("款项"),
            _("付款日期"),
            _("金额"),
            _("凭证号"),
            _("发票号码"),
            _("登记人"),
            _("登记时间"),
        ]
    )
    for cell in payments[1]:
        cell.font = bold
    rows = list(
        Payment.objects.filter(schedule_item__contract=contract)
        .select_related("schedule_item")
        .order_by("paid_on", "pk")
    )
    for payment in rows:
        payments.append(
            [
                payment.schedule_item.label,
                payment.paid_on,
                payment.amount,
                payment.reference,
                payment.invoice_number,
                payment.recorded_by,
                clock.local(payment.recorded_at).replace(tzinfo=None),
            ]
        )
    payments.append([_("合计"), None, cny(sum((p.amount for p in rows), ZERO))])
    for cell in payments[payments.max_row]:
        cell.font = bold
    _format(payments, money_columns=("C",), date_columns=("B",), first_row=2)
    for row in payments.iter_rows(min_row=2, min_col=7, max_col=7):
        for cell in row:
            cell.number_format = "yyyy-mm-dd hh:mm"

    for each in book.worksheets:
        for column in each.columns:
            letter = column[0].column_letter
            each.column_dimensions[letter].width = 16
        each.sheet_view.showGridLines = True
        for row in each.iter_rows():
            for cell in row:
                cell.alignment = Alignment(vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _format(sheet, *, money_columns, date_columns, first_row: int) -> None:
    for letter in money_columns:
        for cell in sheet[letter][first_row - 1 :]:
            cell.number_format = MONEY_FORMAT
    for letter in date_columns:
        for cell in sheet[letter][first_row - 1 :]:
            cell.number_format = "yyyy-mm-dd"


__all__ = [
    "CHANGE_COMPONENT_KINDS",
    "GRACE_KEY",
    "PAYMENT_RULE",
    "PRICED_CHANGE_SOURCES",
    "Arrears",
    "ChargeLine",
    "PricedChange",
    "PricedChangeLine",
    "Settlement",
    "StatementData",
    "arrears_of",
    "billing_payment_record",
    "billing_setup",
    "billing_sync",
    "billing_workbook",
    "cloud_priced_changes",
    "contract_years",
    "finance_contact_add",
    "finance_contact_remove",
    "finance_contacts",
    "grace_days_of",
    "may_record",
    "payment_overdue",
    "payments_sync",
    "priced_changes",
    "reminders_forward",
    "service_window",
    "settlement_compute",
    "settlement_pdf",
    "statement_compute",
    "statement_issue",
    "statement_verify",
    "statements_visible",
]
