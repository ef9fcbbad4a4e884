"""Writes of contract import: a draft from a file, the reviewer's corrections, the check,
approval (the loader registers the contract) and rejection."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from yiyun.contracts.importer.choices import DraftStatus
from yiyun.contracts.importer.draft import (
    IMPORT_KEY,
    contract_data,
    data_digest,
    draft_document,
)
from yiyun.contracts.importer.extract import contract_extract
from yiyun.contracts.importer.readers import read_document
from yiyun.contracts.importer.selectors import (
    approval_refusal,
    blocking_flags,
    contract_check_dry_run,
    may_edit,
    may_upload,
    named_organisations,
)
from yiyun.contracts.models import Contract, ContractDraft
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.tenancy.selectors import person_of


def contract_import_document(*, name: str, content: bytes) -> dict:
    """Read a contract file and return its import document (no database involved): the
    loader's format plus `import` (spans, confidence, flags, clause clocks)."""
    document = read_document(name=name, content=content)
    extraction = contract_extract(document.text)
    return draft_document(extraction, document=document, sha256=hashlib.sha256(content).hexdigest())


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(message)


def _organisation(draft: ContractDraft):
    return draft.customer_id or draft.owner_id or draft.provider_id


@transaction.atomic
def contract_draft_create(*, name: str, content: bytes, by) -> ContractDraft:
    """Read a contract file (txt UTF-8/GB18030, .docx, PDF with a text layer) into a
    draft waiting for review. Nothing is live until the draft is approved.

    Raises DomainError when the file cannot be read; PermissionDenied when `by` may not
    import contracts.
    """
    _require(may_upload(by), _("您无权导入合同"))
    document = read_document(name=name, content=content)
    extraction = contract_extract(document.text)
    import_document = draft_document(
        extraction, document=document, sha256=hashlib.sha256(content).hexdigest()
    )
    data = contract_data(import_document)
    customer, provider = named_organisations(data)
    person = None if isinstance(by, str) else person_of(by)
    moment = clock.now()
    draft = ContractDraft.objects.create(
        source_name=(name or "contract")[:200],
        source_format=document.format,
        source_encoding=document.encoding,
        source_sha256=import_document[IMPORT_KEY]["source"]["sha256"],
        text=extraction.source.text,
        proposed=data,
        data=data,
        review=import_document[IMPORT_KEY],
        owner=person.organisation if person is not None else None,
        customer=customer,
        provider=provider,
        uploaded_by=by if getattr(by, "pk", None) else None,
        uploaded_at=moment,
        updated_at=moment,
    )
    audit_record(
        actor=by,
        action="contract.draft_created",
        obj=draft,
        organisation=_organisation(draft),
        data={
            "source": draft.source_name,
            "format": draft.source_format,
            "sha256": draft.source_sha256,
            "number": data.get("number", ""),
            "flags": len(import_document[IMPORT_KEY]["flags"]),
        },
    )
    return draft


def _changed_paths(before, after, path: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        changed = []
        for key in list(before) + [k for k in after if k not in before]:
            changed += _changed_paths(
                before.get(key), after.get(key), f"{path}.{key}" if path else key
            )
        return changed
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        changed = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            changed += _changed_paths(old, new, f"{path}[{index}]")
        return changed
    return [] if before == after else [path or "(document)"]


def _require_open(draft: ContractDraft) -> None:
    if draft.status != DraftStatus.DRAFT:
        raise DomainError(
            _("草稿已%(status)s，不能再修改") % {"status": draft.get_status_display()},
            code="draft_closed",
        )


@transaction.atomic
def contract_draft_update(*, draft: ContractDraft, data: dict, by) -> ContractDraft:
    """The reviewer's corrections: replace the draft's contract data (loader format).

    The data is kept even when it does not fit the format yet (the check lists what is
    wrong, field by field); the earlier check result no longer applies.
    """
    draft = ContractDraft.objects.select_for_update().get(pk=draft.pk)
    _require(may_edit(by, draft), _("您无权修改此草稿"))
    _require_open(draft)
    if not isinstance(data, dict):
        raise DomainError(_("合同数据必须是字段映射"), field="data")
    data = contract_data(data)
    changed = _changed_paths(draft.data, data)
    if not changed:
        return draft
    draft.data = data
    customer, provider = named_organisations(data)
    draft.customer, draft.provider = customer, provider
    draft.checked_digest = ""
    draft.check_result = {}
    draft.updated_at = clock.now()
    draft.save()
    audit_record(
        actor=by,
        action="contract.draft_corrected",
        obj=draft,
        organisation=_organisation(draft),
        data={"fields": changed[:200]},
    )
    return draft


@transaction.atomic
def contract_draft_check(*, draft: ContractDraft, by) -> dict:
    """Run the contract check on the draft's data as a dry run and keep its result (the
    format errors, a conflict with the register, and the findings) for the review page."""
    draft = ContractDraft.objects.select_for_update().get(pk=draft.pk)
    _require(may_edit(by, draft), _("您无权检查此草稿"))
    _require_open(draft)
    result = contract_check_dry_run(draft.data, by=by, source_name=draft.source_name)
    result["at"] = clock.now().isoformat()
    draft.check_result = result
    draft.checked_digest = data_digest(draft.data)
    draft.save(update_fields=["check_result", "checked_digest"])
    return result


@transaction.atomic
def contract_draft_approve(*, draft: ContractDraft, by, acknowledged: bool = False) -> Contract:
    """Approve a reviewed draft: the contract is registered through the loader.

    Refused (DomainError) until the check has run on the data as it is now and found no
    format error and no conflict, and — when the import flagged values that may be wrong
    (a clause that differs from the template, amounts that disagree, something not
    found) — until the reviewer acknowledges them.
    """
    from yiyun.contracts.services import contract_load

    draft = ContractDraft.objects.select_for_update().get(pk=draft.pk)
    refusal = approval_refusal(by, draft)
    _require(not refusal, refusal)
    _require_open(draft)
    if not draft.checked_digest or draft.checked_digest != data_digest(draft.data):
        raise DomainError(_("请先运行合同检查（数据在上次检查后已修改）"), code="not_checked")
    result = draft.check_result
    if result.get("errors") or result.get("conflict"):
        raise DomainError(_("合同检查发现格式错误或冲突：请先更正"), code="check_failed")
    flags = blocking_flags(draft)
    if flags and not acknowledged:
        raise DomainError(
            _("有 %(count)s 项标记需要确认：请逐项核对后勾选“已核对”") % {"count": len(flags)},
            code="flags_unacknowledged",
            field="acknowledged",
        )
    contract, _created = contract_load(data=draft.data, by=by, source_name=draft.source_name)
    draft.status = DraftStatus.APPROVED
    draft.contract = contract
    draft.customer, draft.provider = contract.customer, contract.provider
    draft.reviewed_by = by if getattr(by, "pk", None) else None
    draft.reviewed_at = clock.now()
    draft.updated_at = draft.reviewed_at
    draft.save()
    clauses = draft.review.get("clauses", {})
    audit_record(
        actor=by,
        action="contract.draft_approved",
        obj=draft,
        organisation=contract.customer,
        data={
            "contract": contract.number,
            "source": draft.source_name,
            "sha256": draft.source_sha256,
            "corrected": _changed_paths(draft.proposed, draft.data)[:200],
            "acknowledged": [flag["path"] for flag in flags],
            # Clause clocks as the contract states them where they differ from the registry.
            "clauses_differing": {
                key: {"n": value.get("n"), "clock": value.get("clock"), "usual": value.get("usual")}
                for key, value in clauses.items()
                if value.get("flag") == "differs"
            },
        },
    )
    return contract


@transaction.atomic
def contract_draft_reject(*, draft: ContractDraft, by, reason: str = "") -> ContractDraft:
    """Reject a draft (a wrong file, not this template…): it stays for the record."""
    draft = ContractDraft.objects.select_for_update().get(pk=draft.pk)
    _require(may_edit(by, draft), _("您无权审核此草稿"))
    _require_open(draft)
    draft.status = DraftStatus.REJECTED
    draft.note = reason.strip()
    draft.reviewed_by = by if getattr(by, "pk", None) else None
    draft.reviewed_at = clock.now()
    draft.updated_at = draft.reviewed_at
    draft.save()
    audit_record(
        actor=by,
        action="contract.draft_rejected",
        obj=draft,
        organisation=_organisation(draft),
        data={"source": draft.source_name, "reason": draft.note},
    )
    return draft
