"""Contracts API: the register, findings, payments, ledger, notices, open parameters."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router

from yiyun.contracts.checks import contract_findings
from yiyun.contracts.ledger import penalty_bases
from yiyun.contracts.models import PaymentScheduleItem
from yiyun.contracts.schemas import (
    ContractOut,
    FindingOut,
    LedgerOut,
    NoticeIn,
    NoticeOut,
    ParameterIn,
    ParameterOut,
    PaymentIn,
    PaymentLineOut,
    ProrataOut,
)
from yiyun.contracts.selectors import contracts_visible, payment_lines, prorata_owed
from yiyun.contracts.services import notice_record, open_parameter_set, payment_record
from yiyun.core import clock
from yiyun.core.money import in_figures
from yiyun.tenancy.selectors import can_manage, is_read_only

PREFIX = "/contracts"
router = Router(tags=["contracts"])


def _contract(request, contract_id: int):
    return get_object_or_404(contracts_visible(request.user), pk=contract_id)


def _require_write(user, contract) -> None:
    if is_read_only(user) or not can_manage(user, contract.customer):
        raise PermissionDenied("you may not record changes to this contract")


def _out(contract) -> dict:
    return {
        **{
            field: getattr(contract, field)
            for field in ContractOut.model_fields
            if hasattr(contract, field)
        },
        "customer": contract.customer,
        "provider": contract.provider,
        "table_total_figures": in_figures(contract.table_total),
    }


@router.get("", response=list[ContractOut])
def contract_list(request, status: str | None = None):
    contracts = contracts_visible(request.user).order_by("number")
    if status:
        contracts = contracts.filter(status=status)
    return [_out(contract) for contract in contracts]


@router.get("/{int:contract_id}", response=ContractOut)
def contract_get(request, contract_id: int):
    return _out(_contract(request, contract_id))


@router.get("/{int:contract_id}/findings", response=list[FindingOut])
def contract_findings_list(request, contract_id: int, severity: str | None = None):
    """The contract check: findings with severity, clause and explanation."""
    findings = contract_findings(_contract(request, contract_id))
    return [f.as_dict() for f in findings if severity is None or f.severity == severity]


@router.get("/{int:contract_id}/payments", response=list[PaymentLineOut])
def payment_list(request, contract_id: int):
    return [
        {
            "id": line.item.pk,
            "label": line.item.label,
            "due_on": line.item.due_on,
            "amount": line.item.amount,
            "paid": line.paid,
            "status": line.status.value,
            "payments": line.payments,
        }
        for line in payment_lines(_contract(request, contract_id))
    ]


@router.post("/{int:contract_id}/payments", response={201: PaymentLineOut})
def payment_add(request, contract_id: int, payload: PaymentIn):
    contract = _contract(request, contract_id)
    _require_write(request.user, contract)
    item = get_object_or_404(PaymentScheduleItem, pk=payload.schedule_item, contract=contract)
    payment_record(
        schedule_item=item,
        amount=payload.amount,
        paid_on=payload.paid_on,
        reference=payload.reference,
        by=request.user,
    )
    (line,) = [line for line in payment_lines(contract) if line.item.pk == item.pk]
    return 201, {
        "id": item.pk,
        "label": item.label,
        "due_on": item.due_on,
        "amount": item.amount,
        "paid": line.paid,
        "status": line.status.value,
        "payments": line.payments,
    }


@router.get("/{int:contract_id}/ledger", response=LedgerOut)
def ledger_get(request, contract_id: int):
    """The breach ledger: penalties (on each candidate base until settled) and rights."""
    contract = _contract(request, contract_id)
    return {
        "base_settled": penalty_bases(contract)[1],
        "penalties": list(contract.penalties.all()),
        "rights": list(contract.rights.all()),
    }


@router.get("/{int:contract_id}/notices", response=list[NoticeOut])
def notice_list(request, contract_id: int):
    return list(_contract(request, contract_id).notices.all())


@router.post("/{int:contract_id}/notices", response={201: NoticeOut})
def notice_add(request, contract_id: int, payload: NoticeIn):
    """Record a written notice: 11.1 non-renewal, 11.2 / 5.3 / 8.1.1 termination."""
    contract = _contract(request, contract_id)
    _require_write(request.user, contract)
    return 201, notice_record(contract=contract, by=request.user, **payload.dict())


@router.get("/{int:contract_id}/parameters", response=list[ParameterOut])
def parameter_list(request, contract_id: int):
    return list(_contract(request, contract_id).open_parameters.all())


@router.put("/{int:contract_id}/parameters/{key}", response=ParameterOut)
def parameter_set(request, contract_id: int, key: str, payload: ParameterIn):
    """Record what the parties agreed for an open parameter (e.g. 5.1's penalty_base)."""
    contract = _contract(request, contract_id)
    _require_write(request.user, contract)
    parameter = get_object_or_404(contract.open_parameters, key=key)
    return open_parameter_set(parameter=parameter, value=payload.value, by=request.user)


@router.get("/{int:contract_id}/prorata", response=ProrataOut)
def prorata_get(request, contract_id: int, until: date | None = None):
    """5.3: the service fees owed for the service provided up to `until` (default today)."""
    contract = _contract(request, contract_id)
    owed = prorata_owed(contract, until=until or clock.local(clock.now()).date())
    return {
        "until": owed.until,
        "lines": owed.lines,
        "total": owed.total,
        "paid": owed.paid,
        "balance": owed.balance,
    }


# Contract import (issue 11): /api/contracts/import/drafts…, in import_api.py.
from yiyun.contracts.import_api import router as import_router  # noqa: E402

router.add_router("/import", import_router)

# Acceptance (1.3) and billing, issue 10: /api/contracts/…/acceptance, …/billing/…
from yiyun.contracts.billing_api import router as billing_router  # noqa: E402

router.add_router("", billing_router)
