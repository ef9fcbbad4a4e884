"""The breach ledger: penalties (5.1, 5.2, 3.5) and rights a breach grants.

5.1 says "5% of the contract total" without saying which total: the table's 492,000 or
the stated annual 498,000. Until the parties settle the base (open parameter
`penalty_base`), every penalty is recorded on each candidate base, marked CANDIDATE;
once settled, only on that base (and the other rows become VOID).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.choices import RIGHT_HOLDER, Party, PenaltyStatus
from yiyun.contracts.models import Contract, OpenParameter, Penalty, Right
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.core.money import cny

# Clause → share of the contract total it charges.
PENALTY_RATES = {
    "5.1": Decimal("0.05"),  # 5.1: each breached clause, 5% of the contract total
    "5.2": Decimal("0.20"),  # 5.2: termination without cause, 20% (or actual losses if higher)
    "3.5": Decimal("0.10"),  # 3.5: assignment to a third party, 10% plus losses
}
PENALTY_BASE_KEY = "penalty_base"
BASE_LABELS = {
    "table_total": _("合同总价（一、表格）"),
    "annual_total": _("一年价款总额（二.1）"),
}


@dataclass(frozen=True)
class Base:
    key: str
    label: str
    amount: Decimal


@dataclass
class LedgerEntries:
    penalties: list[Penalty] = field(default_factory=list)
    rights: list[Right] = field(default_factory=list)


def penalty_bases(contract: Contract) -> tuple[list[Base], bool]:
    """The bases a penalty is computed on, and whether the parties have settled it."""
    candidates = {"table_total": contract.table_total}
    if contract.annual_total is not None and contract.annual_total != contract.table_total:
        candidates["annual_total"] = contract.annual_total
    settled = (
        OpenParameter.objects.filter(contract=contract, key=PENALTY_BASE_KEY)
        .exclude(value__isnull=True)
        .exclude(value="")
        .values_list("value", flat=True)
        .first()
    )
    if settled in candidates:
        return [Base(settled, str(BASE_LABELS[settled]), candidates[settled])], True
    return [Base(key, str(BASE_LABELS[key]), amount) for key, amount in candidates.items()], False


def _penalties(
    *, contract, rule, clause, liable_party, obligation, at, note, cache=None
) -> list[Penalty]:
    if rule not in PENALTY_RATES:
        raise DomainError(
            _("未知的违约金条款 %(rule)s") % {"rule": rule}, field="rule", code="unknown_rule"
        )
    if cache is None:
        bases, settled = penalty_bases(contract)
    else:
        if ("bases", contract.pk) not in cache:
            cache[("bases", contract.pk)] = penalty_bases(contract)
        bases, settled = cache[("bases", contract.pk)]
    status = PenaltyStatus.APPLICABLE if settled else PenaltyStatus.CANDIDATE
    rate = PENALTY_RATES[rule]
    return Penalty.objects.bulk_create(
        Penalty(
            contract=contract,
            obligation=obligation,
            clause=clause,
            rule=rule,
            liable_party=liable_party,
            base_key=base.key,
            base_amount=base.amount,
            rate=rate,
            amount=cny(base.amount * rate),
            status=status,
            note=note,
            recorded_at=at,
        )
        for base in bases
    )


def breach_consequences_record(
    *, obligation, at: datetime, cache: dict | None = None
) -> LedgerEntries:
    """What a breached obligation costs and grants: its penalty rule on every candidate
    base, and the right its rule grants the other side. Called by the obligations tick
    (audited there, as the obligation's BREACHED event); `cache` keeps the bases for the
    length of one tick."""
    entries = LedgerEntries()
    contract = obligation.contract
    liable = obligation.bound_party
    if obligation.penalty_rule:
        entries.penalties = _penalties(
            contract=contract,
            rule=obligation.penalty_rule,
            clause=obligation.clause,
            liable_party=liable,
            obligation=obligation,
            at=at,
            note="",
            cache=cache,
        )
    if obligation.right:
        entries.rights.append(
            Right.objects.create(
                contract=contract,
                obligation=obligation,
                clause=obligation.clause,
                code=obligation.right,
                holder=RIGHT_HOLDER.get(obligation.right, Party.EITHER),
                granted_at=at,
            )
        )
    return entries


@transaction.atomic
def penalty_record(
    *, contract: Contract, rule: str, liable_party: str, by, clause: str = "", note: str = ""
) -> list[Penalty]:
    """Apply a penalty rule recorded by hand: 5.2 (termination without cause, 20%),
    3.5 (assignment to a third party, 10%) or 5.1 for a breach no clock caught."""
    if liable_party not in (Party.CUSTOMER, Party.PROVIDER):
        raise DomainError(_("违约方必须是甲方或乙方"), field="liable_party")
    rows = _penalties(
        contract=contract,
        rule=rule,
        clause=clause or rule,
        liable_party=liable_party,
        obligation=None,
        at=clock.now(),
        note=note,
    )
    audit_record(
        actor=by,
        action="contract.penalty_recorded",
        obj=contract,
        organisation=contract.customer_id,
        data={
            "rule": rule,
            "clause": clause or rule,
            "liable_party": liable_party,
            "amounts": {row.base_key: str(row.amount) for row in rows},
            "note": note,
        },
    )
    return rows


def penalty_base_settled(*, contract: Contract, base_key: str, by) -> int:
    """After the parties settle 5.1's base: rows on that base apply, the others are void.
    Returns how many rows changed (audited by the caller, `open_parameter_set`)."""
    changed = Penalty.objects.filter(contract=contract, status=PenaltyStatus.CANDIDATE)
    applicable = changed.filter(base_key=base_key).update(status=PenaltyStatus.APPLICABLE)
    void = changed.exclude(base_key=base_key).update(status=PenaltyStatus.VOID)
    return applicable + void
