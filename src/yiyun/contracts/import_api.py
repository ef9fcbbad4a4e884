"""Contract import API (issue 11), mounted under /api/contracts/import/drafts: upload a
contract's text, read and correct the draft, run the check, approve or reject."""

from __future__ import annotations

import base64
import binascii

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router

from yiyun.contracts.importer.draft import IMPORT_KEY, contract_data, data_digest
from yiyun.contracts.importer.schemas import (
    ApprovedOut,
    ApproveIn,
    CheckOut,
    DraftDataIn,
    DraftOut,
    DraftSummaryOut,
    DraftUploadIn,
    RejectIn,
)
from yiyun.contracts.importer.selectors import drafts_visible, may_edit
from yiyun.contracts.importer.services import (
    contract_draft_approve,
    contract_draft_check,
    contract_draft_create,
    contract_draft_reject,
    contract_draft_update,
)
from yiyun.core.errors import DomainError

router = Router(tags=["contract import"])


def _summary(draft) -> dict:
    parties = draft.data.get("parties") if isinstance(draft.data.get("parties"), dict) else {}

    def name(role):
        party = parties.get(role)
        return str(party.get("name", "")) if isinstance(party, dict) else ""

    return {
        "id": draft.pk,
        "source_name": draft.source_name,
        "source_format": draft.source_format,
        "status": draft.status,
        "number": str(draft.data.get("number") or ""),
        "customer_name": name("customer"),
        "provider_name": name("provider"),
        "flags": len(draft.review.get("flags", [])),
        "uploaded_at": draft.uploaded_at,
        "contract_id": draft.contract_id,
    }


def _full(draft) -> dict:
    checked = draft.checked_digest and draft.checked_digest == data_digest(draft.data)
    return {
        **_summary(draft),
        "source_encoding": draft.source_encoding,
        "source_sha256": draft.source_sha256,
        "text": draft.text,
        "data": draft.data,
        "proposed": draft.proposed,
        "review": draft.review,
        "check": draft.check_result if checked else {},
        "note": draft.note,
    }


def _draft(request, draft_id: int):
    return get_object_or_404(drafts_visible(request.user), pk=draft_id)


def _require_edit(request, draft) -> None:
    if not may_edit(request.user, draft):
        raise PermissionDenied("you may not review this draft")


@router.post("/drafts", response={201: DraftOut})
def import_draft_create(request, payload: DraftUploadIn):
    """Read a contract file into a draft: plain text (UTF-8 / GB18030), .docx, or a PDF
    with a text layer, as `content_base64`; or plain text as `text`."""
    if payload.content_base64 is not None:
        try:
            content = base64.b64decode(payload.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError("content_base64 is not base64", field="content_base64") from None
    elif payload.text is not None:
        content = payload.text.encode("utf-8")
    else:
        raise DomainError("give content_base64 or text", field="content_base64")
    draft = contract_draft_create(name=payload.filename, content=content, by=request.user)
    return 201, _full(draft)


@router.get("/drafts", response=list[DraftSummaryOut])
def import_draft_list(request, status: str | None = None):
    drafts = drafts_visible(request.user)
    if status:
        drafts = drafts.filter(status=status)
    return [_summary(draft) for draft in drafts]


@router.get("/drafts/{draft_id}", response=DraftOut)
def import_draft_get(request, draft_id: int):
    return _full(_draft(request, draft_id))


@router.get("/drafts/{draft_id}/document", response=dict)
def import_draft_document(request, draft_id: int):
    """The import document: the draft's data in the format `contract load` reads, plus
    `import` (spans, confidence, flags, clause clocks)."""
    draft = _draft(request, draft_id)
    return {**contract_data(draft.data), IMPORT_KEY: draft.review}


@router.put("/drafts/{draft_id}", response=DraftOut)
def import_draft_update(request, draft_id: int, payload: DraftDataIn):
    """Replace the draft's contract data with the reviewer's corrections."""
    draft = _draft(request, draft_id)
    _require_edit(request, draft)
    return _full(contract_draft_update(draft=draft, data=payload.data, by=request.user))


@router.post("/drafts/{draft_id}/check", response=CheckOut)
def import_draft_check(request, draft_id: int):
    """Run the contract check on the draft's data (a dry run: nothing is registered)."""
    draft = _draft(request, draft_id)
    _require_edit(request, draft)
    return contract_draft_check(draft=draft, by=request.user)


@router.post("/drafts/{draft_id}/approve", response={201: ApprovedOut})
def import_draft_approve(request, draft_id: int, payload: ApproveIn):
    """Register the contract through the loader. Needs a check on the data as it is, no
    format error, and `acknowledged` when the import flagged values that may be wrong."""
    draft = _draft(request, draft_id)
    _require_edit(request, draft)
    contract = contract_draft_approve(
        draft=draft, by=request.user, acknowledged=payload.acknowledged
    )
    return 201, {"draft_id": draft.pk, "contract_id": contract.pk, "number": contract.number}


@router.post("/drafts/{draft_id}/reject", response=DraftOut)
def import_draft_reject(request, draft_id: int, payload: RejectIn):
    draft = _draft(request, draft_id)
    _require_edit(request, draft)
    return _full(contract_draft_reject(draft=draft, by=request.user, reason=payload.reason))
