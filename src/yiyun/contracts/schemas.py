from datetime import date, datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from yiyun.contracts.choices import NoticeKind, Party


class PartyOut(Schema):
    id: int
    name: str
    bank_name: str
    bank_account: str


class ContractOut(Schema):
    id: int
    number: str
    title: str
    procurement_project: str
    customer: PartyOut
    provider: PartyOut
    signed_on: date | None
    currency: str
    table_total: Decimal
    table_total_figures: str
    table_total_capitals: str
    annual_total: Decimal | None
    start: date
    end: date
    original_end: date
    status: str
    ended_at: datetime | None
    end_clause: str


class FindingOut(Schema):
    code: str
    severity: str
    clause: str
    title: str
    explanation: str
    data: dict


class PaymentRecordOut(Schema):
    amount: Decimal
    paid_on: date
    reference: str


class PaymentLineOut(Schema):
    id: int
    label: str
    due_on: date
    amount: Decimal
    paid: Decimal
    status: str
    payments: list[PaymentRecordOut]


class PaymentIn(Schema):
    schedule_item: int
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    paid_on: date
    reference: str = Field(default="", max_length=100)


class PenaltyOut(Schema):
    id: int
    obligation: int | None = Field(None, alias="obligation_id")
    clause: str
    rule: str
    liable_party: str
    base_key: str
    base_amount: Decimal
    rate: Decimal
    amount: Decimal
    status: str
    recorded_at: datetime


class RightOut(Schema):
    id: int
    obligation: int | None = Field(None, alias="obligation_id")
    clause: str
    code: str
    holder: str
    granted_at: datetime


class LedgerOut(Schema):
    base_settled: bool
    penalties: list[PenaltyOut]
    rights: list[RightOut]


class NoticeIn(Schema):
    kind: NoticeKind
    from_party: Party
    sender: str = Field(min_length=1, max_length=150)
    recipient: str = Field(min_length=1, max_length=150)
    delivered_at: datetime
    reason: str = ""
    force_majeure_since: date | None = None
    consent_at: datetime | None = None
    consent_by: str = Field(default="", max_length=150)


class NoticeOut(Schema):
    id: int
    kind: str
    from_party: str
    sender: str
    recipient: str
    delivered_at: datetime
    timely: bool
    term_end: date | None
    consent_at: datetime | None
    effective_at: datetime | None
    obligation: int | None = Field(None, alias="obligation_id")


class ParameterIn(Schema):
    value: str = Field(min_length=1, max_length=2000)


class ParameterOut(Schema):
    key: str
    label: str
    clause: str
    choices: list[str]
    value: str
    set_by: str
    set_at: datetime | None


class ProrataLineOut(Schema):
    component: str
    amount: Decimal
    explanation: str


class ProrataOut(Schema):
    until: date
    lines: list[ProrataLineOut]
    total: Decimal
    paid: Decimal
    balance: Decimal
