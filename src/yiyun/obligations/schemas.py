from datetime import datetime

from ninja import Schema
from pydantic import Field


class ObligationOut(Schema):
    id: int
    contract: int = Field(alias="contract_id")
    contract_number: str = Field(alias="contract.number")
    rule: str
    clause: str
    title: str
    kind: str
    bound_party: str
    subject_type: str | None = None
    subject_id: str
    trigger_at: datetime
    clock: str
    limit: int | None
    before: bool
    due_at: datetime | None
    due_unconfirmed: bool
    unconfirmed_years: list[int]
    state: str
    paused_at: datetime | None
    paused_seconds: int = 0
    penalty_rule: str
    right: str
    consequence: str
    next_remind_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    closed_at: datetime | None
    evidence: str

    @staticmethod
    def resolve_subject_type(obj) -> str | None:
        if obj.subject_type_id is None:
            return None
        return f"{obj.subject_type.app_label}.{obj.subject_type.model}"

    @staticmethod
    def resolve_paused_seconds(obj) -> int:
        return int(obj.paused_for.total_seconds())


class EventOut(Schema):
    id: int
    kind: str
    at: datetime
    actor: str
    data: dict
    note: str


class MeetIn(Schema):
    at: datetime | None = None
    evidence: str = Field(default="", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(default="", max_length=2000)


class RuleOut(Schema):
    key: str
    clause: str
    title: str
    trigger: str
    clock: str
    n: int | None
    before: bool
    bound: str
    kind: str
    penalty: str
    right: str
    consequence: str
    pausable: bool
    reminders: list[str]
