from datetime import datetime

from ninja import Schema
from pydantic import Field


class DraftUploadIn(Schema):
    """A contract file: its name, and its bytes in base64 (or its text, for plain text)."""

    filename: str = Field(min_length=1, max_length=200)
    content_base64: str | None = None
    text: str | None = None


class DraftSummaryOut(Schema):
    id: int
    source_name: str
    source_format: str
    status: str
    number: str
    customer_name: str
    provider_name: str
    flags: int
    uploaded_at: datetime
    contract_id: int | None


class DraftOut(DraftSummaryOut):
    source_encoding: str
    source_sha256: str
    text: str
    data: dict = Field(description="the contract data as corrected (what `contract load` reads)")
    proposed: dict = Field(description="the contract data as extracted")
    review: dict = Field(description="spans, confidence, flags and clause clocks (`import`)")
    check: dict = Field(description="the last contract check, when it ran on `data` as it is")
    note: str


class DraftDataIn(Schema):
    data: dict


class CheckOut(Schema):
    errors: list[dict]
    conflict: str
    findings: list[dict]


class ApproveIn(Schema):
    acknowledged: bool = False


class ApprovedOut(Schema):
    draft_id: int
    contract_id: int
    number: str


class RejectIn(Schema):
    reason: str = ""
