"""Writes of the contract register: load, payments, shifts, open parameters, written
notices, termination, and what 11.1 does at expiry."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from yiyun.contracts.choices import NOTICE_CLAUSE, ContractStatus, NoticeKind, Party
from yiyun.contracts.dataformat import ContractIn, contract_parse, contract_read
from yiyun.contracts.ledger import PENALTY_BASE_KEY, penalty_base_settled
from yiyun.contracts.models import (
    Contract,
    Entitlement,
    LineItem,
    OpenParameter,
    Payment,
    PaymentScheduleItem,
    PriceComponent,
    Renewal,
    ServicePeriodShift,
    WrittenNotice,
)
from yiyun.contracts.selectors import add_months, prorata_owed
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import Conflict, DomainError
from yiyun.core.money import cny
from yiyun.notices.services import inbox_send
from yiyun.obligations.choices import ObligationState
from yiyun.obligations.models import Obligation
from yiyun.obligations.services import (
    obligation_meet,
    obligation_open,
    obligation_retrigger,
    obligation_waive,
)
from yiyun.tenancy.choices import ADMIN_ROLES, OrganisationKind
from yiyun.tenancy.models import Organisation, Person
from yiyun.tenancy.services import organisation_ensure, site_ensure

SEED_CONTRACT = Path(__file__).resolve().parent / "data" / "keping-2024.yaml"


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


# -- loading -----------------------------------------------------------------------------


def _digest(parsed: ContractIn) -> tuple[dict, str]:
    normal = parsed.model_dump(mode="json")
    # Absent and empty are the same contract: contracts loaded before clause_limits
    # existed keep their digest.
    if not normal["clause_limits"]:
        del normal["clause_limits"]
    text = json.dumps(normal, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return normal, hashlib.sha256(text.encode()).hexdigest()


def contract_load_file(*, path: Path | str, by) -> tuple[Contract, bool]:
    """`contract_load` of a YAML or JSON file."""
    path = Path(path)
    return contract_load(data=contract_read(path), by=by, source_name=path.name)


@transaction.atomic
def contract_load(*, data, by, source_name: str = "") -> tuple[Contract, bool]:
    """Register a contract from its structured data; returns (contract, created).

    Checks the data (ContractDataError naming each field at fault), ensures the parties
    and the customer's sites, records the contract with its line items, prices, payment
    schedule, entitlements and open parameters, and opens its standing obligations
    (11.1: the non-renewal notice deadline, and the expiry).

    Loading the same number again is idempotent when the data is the same (nothing
    changes, created is False); different data for a number already registered is
    refused (Conflict naming the fields that differ): the register keeps what was
    signed, and what happens later (payments, shifts, notices…) is recorded through
    its own service.
    """
    parsed = contract_parse(data)
    normal, digest = _digest(parsed)
    existing = Contract.objects.filter(number=parsed.number).first()
    if existing is not None:
        if existing.source_digest == digest:
            return existing, False
        stored = existing.source_data or {}
        differing = sorted(key for key in normal if stored.get(key) != normal[key])
        raise Conflict(
            _("合同 %(number)s 已登记且内容不同（%(fields)s）；已登记的合同不会被覆盖")
            % {"number": parsed.number, "fields": ", ".join(differing) or "?"},
            code="contract_exists",
            field=differing[0] if differing else "number",
        )
    customer = _party(parsed.parties.customer, OrganisationKind.CUSTOMER, "customer", by)
    provider = _party(parsed.parties.provider, OrganisationKind.PROVIDER, "provider", by)
    customer.served_by.add(provider)
    for site in parsed.parties.customer.sites:
        site_ensure(
            organisation=customer,
            name=site.name,
            kind=site.kind,
            township=site.township,
            address=site.address,
            by=by,
        )
    contract = Contract.objects.create(
        number=parsed.number,
        title=parsed.title,
        procurement_project=parsed.procurement_project,
        customer=customer,
        provider=provider,
        signed_on=parsed.signed_on,
        currency=parsed.currency,
        table_total=parsed.table_total,
        table_total_capitals=parsed.table_total_capitals,
        annual_total=parsed.annual_total,
        start=parsed.service_period.start,
        end=parsed.service_period.end,
        original_end=parsed.service_period.end,
        renewal_notice_months=parsed.renewal.notice_months_before_end,
        renewal_months=parsed.renewal.renews_for_months,
        circuits=normal["circuits"],
        clause_limits=normal.get("clause_limits", {}),
        source_name=source_name[:200],
        source_digest=digest,
        source_data=normal,
        loaded_at=clock.now(),
    )
    LineItem.objects.bulk_create(
        LineItem(contract=contract, position=position, **item.model_dump())
        for position, item in enumerate(parsed.line_items, start=1)
    )
    components = {}
    for position, component in enumerate(parsed.price_components, start=1):
        components[component.name] = PriceComponent.objects.create(
            contract=contract, position=position, **component.model_dump()
        )
    PaymentScheduleItem.objects.bulk_create(
        PaymentScheduleItem(
            contract=contract,
            position=position,
            label=payment.label,
            due_on=payment.due,
            amount=payment.amount,
            component=components.get(payment.component),
        )
        for position, payment in enumerate(parsed.payment_schedule, start=1)
    )
    Entitlement.objects.bulk_create(
        Entitlement(contract=contract, **entitlement.model_dump())
        for entitlement in parsed.entitlements
    )
    OpenParameter.objects.bulk_create(
        OpenParameter(
            contract=contract,
            position=position,
            key=parameter.key,
            label=parameter.label,
            clause=parameter.clause,
            choices=parameter.choices,
            value=parameter.value or "",
            set_by=_actor_label(by) if parameter.value is not None else "",
            set_at=clock.now() if parameter.value is not None else None,
        )
        for position, parameter in enumerate(parsed.open_parameters, start=1)
    )
    audit_record(
        actor=by,
        action="contract.loaded",
        obj=contract,
        organisation=customer,
        data={"number": contract.number, "source": source_name, "digest": digest},
    )
    _open_term_obligations(contract, start=contract.start, by=by)
    return contract, True


def _party(party, kind: str, role: str, by) -> Organisation:
    existing = Organisation.objects.filter(name=party.name).first()
    if existing is not None and existing.kind != kind:
        raise DomainError(
            _("%(name)s 已登记为%(kind)s")
            % {"name": party.name, "kind": existing.get_kind_display()},
            field=f"parties.{role}.name",
        )
    fields = {
        key: value
        for key in ("short_name", "address", "bank_name", "bank_account")
        if (value := getattr(party, key))
    }
    return organisation_ensure(name=party.name, kind=kind, by=by, **fields)


def _open_term_obligations(contract: Contract, *, start: date, by) -> None:
    """11.1: the current term's non-renewal notice deadline, and its expiry."""
    obligation_open(
        contract=contract, clause="11.1", subject=contract, trigger_at=contract.expires_at, by=by
    )
    obligation_open(
        contract=contract,
        clause="11.1.expiry",
        subject=contract,
        trigger_at=_start_of(start),
        due_at=contract.expires_at,
        by=by,
    )


def _open_term(contract: Contract, rule: str) -> Obligation | None:
    return (
        Obligation.objects.filter(contract=contract, rule=rule, state=ObligationState.OPEN)
        .order_by("-pk")
        .first()
    )


# -- what happens during the contract -----------------------------------------------------


@transaction.atomic
def payment_record(
    *, schedule_item: PaymentScheduleItem, amount, paid_on: date, by, reference: str = ""
) -> Payment:
    """二.2: a payment received against a scheduled one."""
    try:
        amount = cny(amount)
    except ValueError:
        raise DomainError(_("金额不是数字"), field="amount") from None
    if amount <= 0:
        raise DomainError(_("金额必须大于零"), field="amount")
    if paid_on > clock.local(clock.now()).date():
        raise DomainError(_("付款日期不能晚于今天"), field="paid_on")
    payment = Payment.objects.create(
        schedule_item=schedule_item,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        recorded_by=_actor_label(by),
        recorded_at=clock.now(),
    )
    contract = schedule_item.contract
    audit_record(
        actor=by,
        action="contract.payment_recorded",
        obj=contract,
        organisation=contract.customer_id,
        data={
            "schedule_item": schedule_item.label,
            "amount": str(amount),
            "paid_on": paid_on.isoformat(),
            "reference": reference,
        },
    )
    return payment


@transaction.atomic
def service_period_shift(
    *, contract: Contract, days: int, reason: str, by, clause: str = "1.3"
) -> ServicePeriodShift:
    """1.3: a rectification period does not count toward the service period — the end
    moves later by `days`, and with it 11.1's notice deadline and the expiry."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require_active(contract)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise DomainError(_("顺延天数必须是正整数"), field="days")
    if not reason.strip():
        raise DomainError(_("请说明顺延原因（如整改期）"), field="reason")
    previous = contract.end
    contract.end = previous + timedelta(days=days)
    contract.save(update_fields=["end"])
    shift = ServicePeriodShift.objects.create(
        contract=contract,
        clause=clause,
        reason=reason,
        days=days,
        previous_end=previous,
        new_end=contract.end,
        recorded_by=_actor_label(by),
        recorded_at=clock.now(),
    )
    note = _("服务期顺延 %(days)s 天（%(clause)s）：%(reason)s") % {
        "days": days,
        "clause": clause,
        "reason": reason,
    }
    # A non-renewal notice already given for this term still counts for the moved end.
    WrittenNotice.objects.filter(
        contract=contract, kind=NoticeKind.NON_RENEWAL, term_end=previous, timely=True
    ).update(term_end=contract.end)
    notice = _open_term(contract, "11.1")
    if notice is not None:
        obligation_retrigger(obligation=notice, trigger_at=contract.expires_at, by=by, reason=note)
    expiry = _open_term(contract, "11.1.expiry")
    if expiry is not None:
        obligation_retrigger(obligation=expiry, due_at=contract.expires_at, by=by, reason=note)
    audit_record(
        actor=by,
        action="contract.period_shifted",
        obj=contract,
        organisation=contract.customer_id,
        data={
            "clause": clause,
            "days": days,
            "reason": reason,
            "previous_end": previous.isoformat(),
            "new_end": contract.end.isoformat(),
        },
    )
    return shift


@transaction.atomic
def open_parameter_set(*, parameter: OpenParameter, value: str, by) -> OpenParameter:
    """Record what the parties agreed for something the contract left open.

    5.1's penalty base, once set, turns the candidate penalties on that base into
    applicable ones and voids the others; it cannot be changed afterwards.
    """
    parameter = (
        OpenParameter.objects.select_for_update().select_related("contract").get(pk=parameter.pk)
    )
    value = (value or "").strip()
    if not value:
        raise DomainError(_("请填写约定值"), field="value")
    if parameter.choices and value not in parameter.choices:
        raise DomainError(
            _("约定值必须是：%(choices)s") % {"choices": ", ".join(parameter.choices)},
            field="value",
        )
    if parameter.key == PENALTY_BASE_KEY and parameter.is_set and parameter.value != value:
        raise DomainError(_("违约金计算基数已约定，不能更改"), code="already_set", field="value")
    previous = parameter.value
    parameter.value = value
    parameter.set_by = _actor_label(by)
    parameter.set_at = clock.now()
    parameter.save()
    changed = 0
    if parameter.key == PENALTY_BASE_KEY:
        changed = penalty_base_settled(contract=parameter.contract, base_key=value, by=by)
    audit_record(
        actor=by,
        action="contract.parameter_set",
        obj=parameter.contract,
        organisation=parameter.contract.customer_id,
        data={
            "key": parameter.key,
            "clause": parameter.clause,
            "previous": previous,
            "value": value,
            "penalties_changed": changed,
        },
    )
    return parameter


def _require_active(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            _("合同已%(status)s") % {"status": contract.get_status_display()},
            code="contract_ended",
        )


def _aware(value, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise DomainError(_("%(name)s 必须是带时区的日期时间") % {"name": name}, field=name)
    return value


# -- written notices (11.1, 11.2, 5.3, 8.1.1) ----------------------------------------------


@transaction.atomic
def notice_record(
    *,
    contract: Contract,
    kind: str,
    from_party: str,
    sender: str,
    recipient: str,
    delivered_at: datetime,
    by,
    document=None,
    reason: str = "",
    force_majeure_since: date | None = None,
    consent_at: datetime | None = None,
    consent_by: str = "",
    consent_document=None,
) -> WrittenNotice:
    """Record a written notice delivered to the other party, and what it sets in motion.

    - 11.1 non-renewal: meets the open 11.1 obligation when delivered before its due
      time; the contract then ends at expiry instead of renewing. A late notice is kept
      (`timely` False) but does not stop the renewal.
    - 11.2 termination without cause: opens the 20-working-day notice period; the
      contract ends when it has run and the other side has consented in writing.
    - 5.3 the customer terminates for a provable reason: effective on delivery; the
      amount owed up to that date is computed (selectors.prorata_owed).
    - 8.1.1 force majeure over a month: termination 15 days after delivery, no penalty.
    """
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require_active(contract)
    if kind not in NoticeKind.values:
        raise DomainError(_("未知的通知类型"), field="kind")
    if from_party not in (Party.CUSTOMER, Party.PROVIDER):
        raise DomainError(_("发出方必须是甲方或乙方"), field="from_party")
    delivered_at = _aware(delivered_at, "delivered_at")
    moment = clock.now()
    if delivered_at > moment:
        raise DomainError(_("送达时间不能晚于现在"), field="delivered_at")
    if not sender.strip():
        raise DomainError(_("请填写发出人"), field="sender")
    if not recipient.strip():
        raise DomainError(_("请填写接收人"), field="recipient")
    notice = WrittenNotice(
        contract=contract,
        kind=kind,
        from_party=from_party,
        sender=sender.strip(),
        recipient=recipient.strip(),
        delivered_at=delivered_at,
        reason=reason,
        recorded_by=_actor_label(by),
        recorded_at=moment,
    )
    if document is not None:
        notice.document = document
    if kind == NoticeKind.TERMINATION_5_3:
        # 5.3: the customer's right, for a provable reason.
        if from_party != Party.CUSTOMER:
            raise DomainError(_("5.3 的提前终止只能由甲方提出"), field="from_party")
        if not reason.strip():
            raise DomainError(_("请说明可证明的合理原因"), field="reason")
    if kind == NoticeKind.TERMINATION_8_1_1:
        # 8.1.1: only when force majeure has prevented performance for over a month.
        if force_majeure_since is None:
            raise DomainError(_("请填写不可抗力开始日期"), field="force_majeure_since")
        if clock.local(delivered_at).date() <= add_months(force_majeure_since, 1):
            raise DomainError(
                _("不可抗力妨碍履行须达1个月以上方可依8.1.1通知终止"),
                field="force_majeure_since",
            )
        notice.force_majeure_since = force_majeure_since
    if kind == NoticeKind.TERMINATION_11_2 and consent_at is not None:
        notice.consent_at = _aware(consent_at, "consent_at")
        notice.consent_by = consent_by
        if consent_document is not None:
            notice.consent_document = consent_document
    if kind == NoticeKind.NON_RENEWAL:
        notice.term_end = contract.end
        option = _open_term(contract, "11.1")
        notice.timely = option is not None and delivered_at < option.due_at
    notice.save()
    audit_record(
        actor=by,
        action="contract.notice_recorded",
        obj=contract,
        organisation=contract.customer_id,
        data={
            "notice": notice.pk,
            "kind": kind,
            "clause": NOTICE_CLAUSE[kind],
            "from_party": from_party,
            "sender": notice.sender,
            "recipient": notice.recipient,
            "delivered_at": delivered_at.isoformat(),
            "document": notice.document.name if notice.document else "",
            "timely": notice.timely,
        },
    )
    if kind == NoticeKind.NON_RENEWAL:
        if notice.timely:
            option = _open_term(contract, "11.1")
            notice.obligation = obligation_meet(
                obligation=option,
                at=delivered_at,
                by=by,
                evidence=_("书面通知 #%(id)s：%(sender)s → %(recipient)s")
                % {"id": notice.pk, "sender": notice.sender, "recipient": notice.recipient},
            )
            notice.save(update_fields=["obligation"])
    elif kind == NoticeKind.TERMINATION_5_3:
        # 5.3: effective when delivered.
        _terminate(contract, at=delivered_at, clause="5.3", notice=notice, by=by)
    else:
        notice.obligation = obligation_open(
            contract=contract,
            clause=NOTICE_CLAUSE[kind],
            subject=notice,
            trigger_at=delivered_at,
            by=by,
        )
        notice.save(update_fields=["obligation"])
    _tell_parties(
        contract,
        subject=_("书面通知：%(kind)s") % {"kind": notice.get_kind_display()},
        body=_("%(sender)s 致 %(recipient)s，送达时间 %(at)s。")
        % {
            "sender": notice.sender,
            "recipient": notice.recipient,
            "at": f"{clock.local(delivered_at):%Y-%m-%d %H:%M}",
        },
        source=f"contract-notice:{notice.pk}",
    )
    return notice


@transaction.atomic
def notice_consent_record(
    *, notice: WrittenNotice, consent_at: datetime, consent_by: str, by, document=None
) -> WrittenNotice:
    """11.2: the other side's written consent to a termination without cause. When the
    20-working-day notice period has already run, the contract ends on consent."""
    notice = WrittenNotice.objects.select_for_update().select_related("contract").get(pk=notice.pk)
    if notice.kind != NoticeKind.TERMINATION_11_2:
        raise DomainError(_("只有 11.2 的解除通知需要对方同意"), field="kind")
    if notice.consent_at is not None:
        raise DomainError(_("已登记过同意"), code="already_set")
    consent_at = _aware(consent_at, "consent_at")
    if consent_at > clock.now() or consent_at < notice.delivered_at:
        raise DomainError(_("同意时间须在通知送达之后、现在之前"), field="consent_at")
    notice.consent_at = consent_at
    notice.consent_by = consent_by
    if document is not None:
        notice.consent_document = document
    notice.save()
    audit_record(
        actor=by,
        action="contract.notice_consented",
        obj=notice.contract,
        organisation=notice.contract.customer_id,
        data={"notice": notice.pk, "consent_at": consent_at.isoformat(), "consent_by": consent_by},
    )
    period = notice.obligation
    if period is not None and period.state == ObligationState.MET:
        _terminate(notice.contract, at=consent_at, clause="11.2", notice=notice, by=by)
    return notice


def _terminate(
    contract: Contract, *, at: datetime, clause: str, notice: WrittenNotice | None, by
) -> None:
    """End the contract early; 11.1's deadline and expiry no longer apply."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status != ContractStatus.ACTIVE:
        return
    contract.status = ContractStatus.TERMINATED
    contract.ended_at = at
    contract.end_clause = clause
    contract.save(update_fields=["status", "ended_at", "end_clause"])
    if notice is not None:
        notice.effective_at = at
        notice.save(update_fields=["effective_at"])
    reason = _("合同已依 %(clause)s 解除") % {"clause": clause}
    for rule in ("11.1", "11.1.expiry"):
        pending = _open_term(contract, rule)
        if pending is not None:
            obligation_waive(obligation=pending, by=by, reason=reason)
    data = {"clause": clause, "at": at.isoformat(), "notice": notice.pk if notice else None}
    if clause == "5.3":
        owed = prorata_owed(contract, until=clock.local(at).date())
        data["prorata"] = {
            "total": str(owed.total),
            "paid": str(owed.paid),
            "balance": str(owed.balance),
        }
    audit_record(
        actor=by,
        action="contract.terminated",
        obj=contract,
        organisation=contract.customer_id,
        data=data,
    )
    _tell_parties(
        contract,
        subject=_("合同 %(number)s 已解除（%(clause)s）")
        % {"number": contract.number, "clause": clause},
        body=_("生效时间 %(at)s。") % {"at": f"{clock.local(at):%Y-%m-%d %H:%M}"},
        source=f"contract:{contract.pk}:terminated",
    )


def _tell_parties(contract: Contract, *, subject: str, body: str, source: str) -> None:
    recipients = []
    for organisation_id in (contract.customer_id, contract.provider_id):
        admins = list(Person.objects.filter(organisation_id=organisation_id, role__in=ADMIN_ROLES))
        recipients.extend(admins or Person.objects.filter(organisation_id=organisation_id))
    inbox_send(
        recipients=recipients,
        subject=subject,
        body=body,
        link=reverse("contracts:detail", kwargs={"pk": contract.pk}),
        source=source,
    )


# -- hooks the obligations tick runs (registry: on_due) -------------------------------------


def contract_expiry_reached(*, obligation: Obligation, now: datetime) -> None:
    """11.1 at expiry: the contract ends if a non-renewal notice came in time; otherwise
    it renews for `renewal_months` (the seed: one year, to 2027-12-31), with an audit
    entry, a notice to both parties and the next term's 11.1 obligations."""
    contract = Contract.objects.select_for_update().get(pk=obligation.contract_id)
    if contract.status != ContractStatus.ACTIVE:
        return
    noticed = WrittenNotice.objects.filter(
        contract=contract, kind=NoticeKind.NON_RENEWAL, term_end=contract.end, timely=True
    ).first()
    at = obligation.due_at
    if noticed is not None:
        contract.status = ContractStatus.EXPIRED
        contract.ended_at = at
        contract.end_clause = "11.1"
        contract.save(update_fields=["status", "ended_at", "end_clause"])
        noticed.effective_at = at
        noticed.save(update_fields=["effective_at"])
        audit_record(
            actor="tick",
            action="contract.expired",
            obj=contract,
            organisation=contract.customer_id,
            data={"end": contract.end.isoformat(), "notice": noticed.pk},
        )
        _tell_parties(
            contract,
            subject=_("合同 %(number)s 已期满终止") % {"number": contract.number},
            body=_("已按 11.1 书面通知不再续签，合同于 %(end)s 24:00 终止。")
            % {"end": contract.end.isoformat()},
            source=f"contract:{contract.pk}:expired:{contract.end.isoformat()}",
        )
        return
    previous = contract.end
    contract.end = add_months(previous + timedelta(days=1), contract.renewal_months) - timedelta(
        days=1
    )
    contract.save(update_fields=["end"])
    Renewal.objects.create(contract=contract, previous_end=previous, new_end=contract.end, at=now)
    audit_record(
        actor="tick",
        action="contract.renewed",
        obj=contract,
        organisation=contract.customer_id,
        data={
            "clause": "11.1",
            "previous_end": previous.isoformat(),
            "new_end": contract.end.isoformat(),
        },
    )
    _tell_parties(
        contract,
        subject=_("合同 %(number)s 已依 11.1 顺延至 %(end)s")
        % {"number": contract.number, "end": contract.end},
        body=_("期满前一个月内双方均未书面通知不再续签，合同自 %(start)s 起顺延。")
        % {"start": (previous + timedelta(days=1)).isoformat()},
        source=f"contract:{contract.pk}:renewed:{contract.end.isoformat()}",
    )
    _open_term_obligations(contract, start=previous + timedelta(days=1), by="tick")


def termination_notice_ran_out(*, obligation: Obligation, now: datetime) -> None:
    """8.1.1 / 11.2: the notice period has run. 8.1.1 ends the contract then; 11.2 only
    with the other side's written consent (if it comes later, on consent)."""
    notice = (
        WrittenNotice.objects.filter(
            pk=obligation.subject_id,
        ).first()
        if obligation.subject_type_id == ContentType.objects.get_for_model(WrittenNotice).pk
        else None
    )
    if notice is None:
        return
    if notice.kind == NoticeKind.TERMINATION_8_1_1:
        _terminate(notice.contract, at=obligation.due_at, clause="8.1.1", notice=notice, by="tick")
    elif notice.kind == NoticeKind.TERMINATION_11_2:
        if notice.consent_at is not None:
            _terminate(
                notice.contract,
                at=max(obligation.due_at, notice.consent_at),
                clause="11.2",
                notice=notice,
                by="tick",
            )
        else:
            audit_record(
                actor="tick",
                action="contract.termination_awaiting_consent",
                obj=notice.contract,
                organisation=notice.contract.customer_id,
                data={"notice": notice.pk, "clause": "11.2"},
            )
