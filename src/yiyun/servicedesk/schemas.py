from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from yiyun.servicedesk.choices import (
    Channel,
    ContactAction,
    DutyRole,
    MeasureKind,
    TicketKind,
    TicketPriority,
)


class ClockOut(Schema):
    """One contract clock (an obligation) with its countdown."""

    id: int
    rule: str
    clause: str
    title: str
    state: str
    trigger_at: datetime
    due_at: datetime | None
    paused: bool
    paused_seconds: int
    countdown: str
    colour: str
    consequence: str


class FileIn(Schema):
    """A file sent inline: its name and its bytes in base64."""

    name: str = Field(min_length=1, max_length=200)
    content_base64: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    internal: bool
    uploaded_at: datetime
    uploaded_by: str
    url: str


class TicketIn(Schema):
    organisation: int | None = Field(
        default=None, description="the customer; a customer's own users may leave it out"
    )
    contract: int | None = None
    kind: TicketKind
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    site: int | None = None
    priority: TicketPriority = TicketPriority.NORMAL
    affected_system: str = Field(default="", max_length=200)
    affected_circuit: str = Field(default="", max_length=200)
    rectification_due_at: datetime | None = Field(
        default=None, description="2.1: the deadline the customer sets (rectification only)"
    )
    channel: Channel = Field(
        default=Channel.API, description="the provider's desk: phone for a hotline call"
    )
    reported_at: datetime | None = Field(
        default=None,
        description="the provider's desk only: when the call came in (the clock starts then)",
    )
    reporter_name: str = Field(default="", max_length=100)
    reporter_phone: str = Field(default="", max_length=40)
    assignee: int | None = None


class TicketPatch(Schema):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    priority: TicketPriority | None = None
    site: int | None = None
    affected_system: str | None = Field(default=None, max_length=200)
    affected_circuit: str | None = Field(default=None, max_length=200)
    assignee: int | None = Field(default=None, description="provider only; null unassigns")


class TicketActionIn(Schema):
    action: Literal["comment", "note", "kind", "wait", "resume", "resolve", "close", "reopen"]
    text: str = ""
    kind: TicketKind | None = None
    rectification_due_at: datetime | None = None
    at: datetime | None = Field(default=None, description="resolve: when it was done")
    files: list[FileIn] = []


class TicketOut(Schema):
    id: int
    number: str
    organisation: int
    contract: str
    site: int | None
    kind: str
    priority: str
    status: str
    title: str
    description: str
    affected_system: str
    affected_circuit: str
    channel: str
    reporter_name: str
    reporter_phone: str
    assignee: int | None
    reported_at: datetime
    entered_at: datetime
    entered_by: str
    rectification_due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str
    clock: ClockOut | None


class TicketDetailOut(TicketOut):
    clocks: list[ClockOut]


class EventOut(Schema):
    id: int
    kind: str
    at: datetime
    actor: str
    text: str
    internal: bool
    attachment: AttachmentOut | None


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone: str
    email: str
    role: str
    site: int | None


class ContactChangeIn(Schema):
    organisation: int | None = None
    action: ContactAction
    person: int | None = None
    name: str = Field(default="", max_length=100)
    title: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    role: str = Field(default="", max_length=30)
    site: int | None = None
    reason: str = ""
    notified_by: str = Field(min_length=1, max_length=100)
    received_at: datetime | None = Field(
        default=None, description="the provider entering a paper notice: when it was received"
    )
    document: FileIn | None = None


class ContactChangeOut(Schema):
    id: int
    organisation: int
    action: str
    person: int | None
    proposed: dict
    reason: str
    notified_by: str
    received_at: datetime
    submitted_by: str
    status: str
    decided_by: str
    decided_at: datetime | None
    clock: ClockOut | None
    documents: list[AttachmentOut]


class ContactListOut(Schema):
    organisation: int
    contacts: list[ContactOut]
    pending: list[ContactChangeOut]


class DecisionIn(Schema):
    action: Literal["confirm", "withdraw"]
    note: str = ""


class ComplaintOut(Schema):
    id: int
    organisation: int
    contract: str
    complainant: str
    complainant_contact: str
    received_at: datetime
    content: str
    location: str
    notified_at: datetime
    status: str
    answer: str
    answered_at: datetime | None
    review_note: str
    clock: ClockOut | None
    measures_allowed_from: datetime | None
    attachments: list[AttachmentOut]


class ComplaintIn(Schema):
    """2.10: a third party's complaint about the customer's content, recorded by the
    provider (the customer is notified and has 7 working days to answer)."""

    organisation: int = Field(description="the customer complained about")
    contract: int | None = Field(default=None, description="default: its active contract")
    complainant: str = Field(max_length=200)
    complainant_contact: str = Field(default="", max_length=200)
    received_at: datetime = Field(description="when the provider received the complaint")
    notified_at: datetime | None = Field(
        default=None, description="when the customer was notified (default now): the clock"
    )
    content: str
    location: str = Field(default="", max_length=300)
    files: list[FileIn] = Field(default=[], description="the complaint's material")


class GroundActionIn(Schema):
    """answer (the customer: its answer / rectification report), accept / reject (the
    provider's review), measure (the provider; refused before it is allowed)."""

    action: Literal["answer", "accept", "reject", "measure"]
    text: str = ""
    measure_kind: MeasureKind | None = None
    taken_at: datetime | None = None
    files: list[FileIn] = []


class ViolationOut(Schema):
    id: int
    organisation: int
    contract: str
    clause_breached: str
    description: str
    delivered_at: datetime
    status: str
    rectification: str
    reported_at: datetime | None
    review_note: str
    clock: ClockOut | None
    measures_allowed_from: datetime | None
    attachments: list[AttachmentOut]


class ViolationIn(Schema):
    """3.6: the provider's written notice that the customer breached clause 2 (30 days
    to rectify from its delivery)."""

    organisation: int
    contract: int | None = Field(default=None, description="default: its active contract")
    clause_breached: str = Field(max_length=20, description="a provision of clause 2: 2.7.5")
    description: str
    delivered_at: datetime = Field(description="when the written notice was delivered")
    document: FileIn | None = Field(default=None, description="the written notice")


class MeasureOut(Schema):
    id: int
    organisation: int
    contract: str
    complaint: int | None
    violation: int | None
    kind: str
    legal_ground: str
    allowed_since: datetime
    description: str
    taken_at: datetime
    recorded_by: str


class DutyShiftIn(Schema):
    """A person of the caller's provider on the roster; the 24×7 desk needs no end."""

    person: int
    role: DutyRole
    starts_at: datetime
    ends_at: datetime | None = None
    note: str = Field(default="", max_length=200)


class DutyShiftOut(Schema):
    id: int
    person: int
    name: str
    role: str
    starts_at: datetime
    ends_at: datetime | None
    on_duty: bool


class SlaOut(Schema):
    contract: str
    month: str
    figures: dict


class VerifyIn(Schema):
    sha256: str = ""
    content_base64: str = ""


class VerifyOut(Schema):
    valid: bool
    sha256: str
    contract: str | None = None
    month: str | None = None
    generated_at: datetime | None = None
    content_sha256: str | None = None
