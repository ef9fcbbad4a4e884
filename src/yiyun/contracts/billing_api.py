"""API of acceptance (1.3) and billing (二.1, 二.2, 5.3, 6.5), mounted in the contracts
router (`/api/contracts/...`). Objects are reached through scoped querysets (404 for
another customer); writes by read-only accounts, and signatures by anybody who is not
that side's authorised representative, are refused with 403."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from yiyun.contracts import acceptance, billing
from yiyun.contracts.models import PaymentScheduleItem
from yiyun.contracts.selectors import contracts_visible, payment_lines
from yiyun.core.money import in_capitals
from yiyun.tenancy.models import Person
from yiyun.tenancy.selectors import is_read_only

router = Router(tags=["contracts: acceptance, billing"])


# -- schemas ------------------------------------------------------------------------------


class CriterionOut(Schema):
    id: int
    position: int
    source: str
    item: str
    standard: str
    measured: str
    passed: bool | None
    problems: str


class SignatureOut(Schema):
    party: str
    name: str
    username: str
    signed_at: datetime
    content_sha256: str


class AcceptanceOut(Schema):
    id: int
    contract: int
    round: int
    held_at: datetime
    place: str
    customer_participants: str
    provider_participants: str
    stage: str
    result: str
    conclusion: str
    content_sha256: str
    rectification_started_at: datetime | None
    rectification_due_at: datetime | None
    rectification_completed_at: datetime | None
    pdf_sha256: str
    criteria: list[CriterionOut]
    signatures: list[SignatureOut]


class AcceptanceIn(Schema):
    held_at: datetime
    place: str
    customer_participants: str
    provider_participants: str
    customer_representative: int | None = None
    provider_representative: int | None = None


class CriterionIn(Schema):
    item: str
    standard: str


class CriterionResultIn(Schema):
    measured: str
    passed: bool
    problems: str = ""


class ConcludeIn(Schema):
    conclusion: str = ""


class SignIn(Schema):
    party: str


class RectificationIn(Schema):
    due_at: datetime


class RectificationDoneIn(Schema):
    at: datetime | None = None
    note: str = ""


class VerifyOut(Schema):
    signed: bool
    stored_intact: bool
    matches: bool | None
    sha256: str


class ChargeLineOut(Schema):
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


class StatementOut(Schema):
    start: date
    end: date
    lines: list[ChargeLineOut]
    total: Decimal
    total_capitals: str


class StatementIssuedOut(Schema):
    id: int
    number: str
    period_start: date
    period_end: date
    total: Decimal
    sha256: str
    issued_by: str
    issued_at: datetime


class PeriodIn(Schema):
    start: date
    end: date


class PaymentIn(Schema):
    schedule_item: int
    amount: Decimal
    paid_on: date
    reference: str = ""
    invoice_number: str = ""


class PaymentOut(Schema):
    id: int
    amount: Decimal
    paid_on: date
    reference: str
    invoice_number: str


class ScheduleLineOut(Schema):
    id: int
    label: str
    due_on: date
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str
    payments: list[PaymentOut]


class ArrearsItemOut(Schema):
    schedule_item: int
    label: str
    due_on: date
    outstanding: Decimal
    overdue_since: datetime
    end_of_service_from: datetime | None
    unconfirmed: bool


class ArrearsOut(Schema):
    grace_days: int | None
    total: Decimal
    end_of_service_from: datetime | None
    end_of_service_possible: bool
    items: list[ArrearsItemOut]


class SettlementBaseOut(Schema):
    base: str
    base_amount: Decimal
    fees: Decimal
    paid: Decimal
    customer_penalties: Decimal
    provider_penalties: Decimal
    balance: Decimal
    balance_capitals: str


class SettlementOut(Schema):
    last_day: date
    final: bool
    basis: str
    base_settled: bool
    fees: Decimal
    paid: Decimal
    lines: list[ChargeLineOut]
    balances: list[SettlementBaseOut]
    rights: list[str]


class FinanceContactIn(Schema):
    person: int


class FinanceContactOut(Schema):
    id: int
    name: str
    email: str


# -- helpers ------------------------------------------------------------------------------


def _contract(request, contract_id: int):
    return get_object_or_404(contracts_visible(request.user), pk=contract_id)


def _record(request, record_id: int):
    return get_object_or_404(acceptance.acceptance_records_visible(request.user), pk=record_id)


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only accounts may not write")


def _acceptance_out(record) -> dict:
    return {
        **{
            name: getattr(record, name)
            for name in AcceptanceOut.model_fields
            if name not in ("contract", "criteria", "signatures")
        },
        "contract": record.contract_id,
        "criteria": list(record.criteria.all()),
        "signatures": list(record.signatures.all()),
    }


def _person(contract, person_id: int | None):
    if person_id is None:
        return None
    return get_object_or_404(
        Person.objects.filter(organisation__in=[contract.customer_id, contract.provider_id]),
        pk=person_id,
    )


def _schedule_out(contract) -> list[dict]:
    return [
        {
            "id": line.item.pk,
            "label": line.item.label,
            "due_on": line.item.due_on,
            "amount": line.item.amount,
            "paid": line.paid,
            "outstanding": line.outstanding,
            "status": line.status.value,
            "payments": line.payments,
        }
        for line in payment_lines(contract)
    ]


# -- acceptance (1.3) ----------------------------------------------------------------------


@router.get("/{contract_id}/acceptance", response=list[AcceptanceOut])
def acceptance_list(request, contract_id: int):
    contract = _contract(request, contract_id)
    return [_acceptance_out(record) for record in contract.acceptance_records.all()]


@router.post("/{contract_id}/acceptance", response={201: AcceptanceOut})
def acceptance_create(request, contract_id: int, payload: AcceptanceIn):
    """A new acceptance record (round 1, or a re-acceptance after rectification), with
    the contract's criteria (1.2's entitlement and circuits)."""
    contract = _contract(request, contract_id)
    _refuse_read_only(request.user)
    record = acceptance.acceptance_record_create(
        contract=contract,
        held_at=payload.held_at,
        place=payload.place,
        customer_participants=payload.customer_participants,
        provider_participants=payload.provider_participants,
        customer_representative=_person(contract, payload.customer_representative),
        provider_representative=_person(contract, payload.provider_representative),
        by=request.user,
    )
    return 201, _acceptance_out(record)


@router.get("/acceptance/{record_id}", response=AcceptanceOut)
def acceptance_get(request, record_id: int):
    return _acceptance_out(_record(request, record_id))


@router.post("/acceptance/{record_id}/criteria", response={201: CriterionOut})
def acceptance_criterion_add(request, record_id: int, payload: CriterionIn):
    record = _record(request, record_id)
    _refuse_read_only(request.user)
    return 201, acceptance.acceptance_criterion_add(
        record=record, item=payload.item, standard=payload.standard, by=request.user
    )


@router.put("/acceptance/criteria/{criterion_id}", response=CriterionOut)
def acceptance_criterion_record(request, criterion_id: int, payload: CriterionResultIn):
    """Record what was found for a criterion (problems required when it failed)."""
    criterion = get_object_or_404(
        acceptance.acceptance_criteria_visible(request.user), pk=criterion_id
    )
    _refuse_read_only(request.user)
    return acceptance.acceptance_criterion_record(
        criterion=criterion,
        measured=payload.measured,
        passed=payload.passed,
        problems=payload.problems,
        by=request.user,
    )


@router.post("/acceptance/{record_id}/cloud-check", response=AcceptanceOut)
def acceptance_cloud_check(request, record_id: int):
    """Fill the entitlement criteria from what the cloud app has allocated."""
    record = _record(request, record_id)
    _refuse_read_only(request.user)
    acceptance.acceptance_cloud_check(record=record, by=request.user)
    return _acceptance_out(_record(request, record_id))


@router.post("/acceptance/{record_id}/conclude", response=AcceptanceOut)
def acceptance_conclude(request, record_id: int, payload: ConcludeIn):
    record = _record(request, record_id)
    _refuse_read_only(request.user)
    return _acceptance_out(
        acceptance.acceptance_conclude(
            record=record, conclusion=payload.conclusion, by=request.user
        )
    )


@router.post("/acceptance/{record_id}/sign", response={201: SignatureOut})
def acceptance_sign(request, record_id: int, payload: SignIn):
    """The signed-in authorised representative of `party` signs (403 for anybody else)."""
    record = _record(request, record_id)
    return 201, acceptance.acceptance_sign(record=record, party=payload.party, by=request.user)


@router.post("/acceptance/{record_id}/rectification", response=AcceptanceOut)
def acceptance_rectification_set(request, record_id: int, payload: RectificationIn):
    """1.3: the customer sets the rectification deadline after a failed acceptance."""
    record = _record(request, record_id)
    _refuse_read_only(request.user)
    return _acceptance_out(
        acceptance.acceptance_rectification_set(
            record=record, due_at=payload.due_at, by=request.user
        )
    )


@router.post("/acceptance/{record_id}/rectification/complete", response=AcceptanceOut)
def acceptance_rectification_complete(request, record_id: int, payload: RectificationDoneIn):
    """1.3: the rectification is complete; the service period's end moves by its days."""
    record = _record(request, record_id)
    _refuse_read_only(request.user)
    return _acceptance_out(
        acceptance.acceptance_rectification_complete(
            record=record, at=payload.at, note=payload.note, by=request.user
        )
    )


@router.get("/acceptance/{record_id}/verify", response=VerifyOut)
def acceptance_verify(request, record_id: int, sha256: str = ""):
    """Check a PDF's SHA-256 against the signed record's (and the stored PDF's own)."""
    record = _record(request, record_id)
    check = acceptance.acceptance_pdf_verify(record=record, sha256=sha256)
    return {
        "signed": check.record_has_pdf,
        "stored_intact": check.stored_intact,
        "matches": check.matches,
        "sha256": check.sha256,
    }


# -- billing ------------------------------------------------------------------------------


@router.get("/{contract_id}/billing/statement", response=StatementOut)
def billing_statement_get(request, contract_id: int, start: date, end: date):
    """The charges of `start`..`end`, each line naming its source."""
    contract = _contract(request, contract_id)
    data = billing.statement_compute(contract, start=start, end=end)
    return {
        "start": start,
        "end": end,
        "lines": data.lines,
        "total": data.total,
        "total_capitals": data.total_capitals,
    }


@router.get("/{contract_id}/billing/statements", response=list[StatementIssuedOut])
def billing_statement_list(request, contract_id: int):
    return list(_contract(request, contract_id).statements.all())


@router.post("/{contract_id}/billing/statements", response={201: StatementIssuedOut})
def billing_statement_issue(request, contract_id: int, payload: PeriodIn):
    contract = _contract(request, contract_id)
    _refuse_read_only(request.user)
    return 201, billing.statement_issue(
        contract=contract, start=payload.start, end=payload.end, by=request.user
    )


@router.get("/{contract_id}/billing/schedule", response=list[ScheduleLineOut])
def billing_schedule(request, contract_id: int):
    """二.2: each scheduled payment: due, paid, part-paid, overdue, with its payments."""
    return _schedule_out(_contract(request, contract_id))


@router.post("/{contract_id}/billing/payments", response={201: list[ScheduleLineOut]})
def billing_payment_add(request, contract_id: int, payload: PaymentIn):
    contract = _contract(request, contract_id)
    _refuse_read_only(request.user)
    item = get_object_or_404(PaymentScheduleItem, pk=payload.schedule_item, contract=contract)
    billing.billing_payment_record(
        schedule_item=item,
        amount=payload.amount,
        paid_on=payload.paid_on,
        reference=payload.reference,
        invoice_number=payload.invoice_number,
        by=request.user,
    )
    return 201, _schedule_out(contract)


@router.get("/{contract_id}/billing/arrears", response=ArrearsOut)
def billing_arrears(request, contract_id: int):
    """6.5: what is overdue and from when the end of service may start (never started
    here)."""
    arrears = billing.arrears_of(_contract(request, contract_id))
    return {
        "grace_days": arrears.grace_days,
        "total": arrears.total,
        "end_of_service_from": arrears.earliest,
        "end_of_service_possible": arrears.may_start,
        "items": [
            {
                "schedule_item": entry.item.pk,
                "label": entry.item.label,
                "due_on": entry.item.due_on,
                "outstanding": entry.outstanding,
                "overdue_since": entry.overdue_since,
                "end_of_service_from": entry.end_of_service_from,
                "unconfirmed": entry.unconfirmed,
            }
            for entry in arrears.items
        ],
    }


@router.get("/{contract_id}/billing/settlement", response=SettlementOut)
def billing_settlement(request, contract_id: int, until: date | None = None):
    """Fees up to the last day served, payments, penalties on each (or the settled) base."""
    settlement = billing.settlement_compute(_contract(request, contract_id), until=until)
    return {
        "last_day": settlement.last_day,
        "final": settlement.final,
        "basis": settlement.basis,
        "base_settled": settlement.base_settled,
        "fees": settlement.fees,
        "paid": settlement.paid,
        "lines": settlement.statement.lines,
        "balances": [
            {
                "base": line.base.key,
                "base_amount": line.base.amount,
                "fees": line.fees,
                "paid": line.paid,
                "customer_penalties": line.customer_penalties,
                "provider_penalties": line.provider_penalties,
                "balance": line.balance,
                "balance_capitals": in_capitals(abs(line.balance)),
            }
            for line in settlement.lines
        ],
        "rights": [right.code for right in settlement.rights],
    }


@router.get("/{contract_id}/billing/finance-contacts", response=list[FinanceContactOut])
def billing_finance_contact_list(request, contract_id: int):
    contract = _contract(request, contract_id)
    return [
        {"id": contact.pk, "name": contact.person.name, "email": contact.person.email}
        for contact in contract.finance_contacts.select_related("person")
    ]


@router.post("/{contract_id}/billing/finance-contacts", response={201: FinanceContactOut})
def billing_finance_contact_add(request, contract_id: int, payload: FinanceContactIn):
    """Name a person of the customer who receives the payment reminders (二.2)."""
    contract = _contract(request, contract_id)
    _refuse_read_only(request.user)
    person = get_object_or_404(Person, pk=payload.person, organisation=contract.customer_id)
    contact = billing.finance_contact_add(contract=contract, person=person, by=request.user)
    return 201, {"id": contact.pk, "name": person.name, "email": person.email}
