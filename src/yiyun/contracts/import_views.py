"""Contract import pages (issue 11): upload a contract's text, review the proposed fields
beside the source, correct, check, approve (the loader registers it) or reject."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyun.contracts.importer.choices import FieldFlag
from yiyun.contracts.importer.draft import contract_data, data_digest
from yiyun.contracts.importer.forms import ApproveForm, RejectForm, UploadForm
from yiyun.contracts.importer.messages import flag_label
from yiyun.contracts.importer.review import (
    data_from_post,
    review_sections,
    source_html,
    source_marks,
)
from yiyun.contracts.importer.selectors import (
    approval_refusal,
    blocking_flags,
    draft_is_open,
    drafts_visible,
    may_edit,
    may_upload,
)
from yiyun.contracts.importer.services import (
    contract_draft_approve,
    contract_draft_check,
    contract_draft_create,
    contract_draft_reject,
    contract_draft_update,
)
from yiyun.core.errors import DomainError
from yiyun.obligations.choices import ObligationClock


def _review(draft, anchor: str = ""):
    return HttpResponseRedirect(
        reverse("contracts:import_review", kwargs={"pk": draft.pk}) + anchor
    )


@login_required
def draft_list(request):
    drafts = drafts_visible(request.user)
    return render(
        request,
        "contracts/import/draft_list.html",
        {"drafts": drafts, "may_upload": may_upload(request.user)},
    )


@login_required
def draft_new(request):
    if not may_upload(request.user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            draft = contract_draft_create(name=upload.name, content=upload.read(), by=request.user)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("已识别合同原文，请逐项核对。"))
            return _review(draft)
    return render(request, "contracts/import/draft_new.html", {"form": form})


@login_required
def draft_review(request, pk: int):
    draft = get_object_or_404(drafts_visible(request.user), pk=pk)
    result = draft.check_result or {}
    sections, numbers = review_sections(draft.data, draft.review, result.get("errors", []))
    clauses = [
        {
            "key": key,
            **value,
            "css": _clause_css(value),
            "clock_label": _clock_label(value.get("clock", "")),
            "usual_label": _clock_label((value.get("usual") or {}).get("clock", "")),
            "flag_label": flag_label(value.get("flag", "")) if value.get("flag") else "",
        }
        for key, value in draft.review.get("clauses", {}).items()
    ]
    flags = [
        {
            **flag,
            "css": _flag_css(flag.get("flag", "")),
            "label": flag_label(flag.get("flag", "")),
            "anchor": _flag_anchor(flag.get("path", ""), numbers),
        }
        for flag in draft.review.get("flags", [])
    ]
    checked = bool(draft.checked_digest) and draft.checked_digest == data_digest(draft.data)
    return render(
        request,
        "contracts/import/draft_review.html",
        {
            "draft": draft,
            "sections": sections,
            "clauses": clauses,
            "source": source_html(draft.text, source_marks(draft.review, numbers)),
            "flags": flags,
            "blocking": blocking_flags(draft),
            "result": result if checked else {},
            "checked": checked,
            "is_open": draft_is_open(draft),
            "may_edit": may_edit(request.user, draft),
            "refusal": approval_refusal(request.user, draft),
            "approve_form": ApproveForm(),
            "reject_form": RejectForm(),
        },
    )


def _flag_anchor(path: str, numbers: dict[str, int]) -> str:
    """Where a flag's link goes: its field, its clause row, or its section."""
    if path.startswith("clauses."):
        return f"#c-{path.removeprefix('clauses.')}"
    if path in numbers:
        return f"#f-{numbers[path]}"
    return ""


def _clock_label(clock: str) -> str:
    if clock == "percent":
        return "%"
    if clock in ObligationClock.values:
        return str(ObligationClock(clock).label)
    return clock


def _flag_css(flag: str) -> str:
    return FieldFlag(flag).colour if flag in FieldFlag.values else ""


def _clause_css(value: dict) -> str:
    return {"differs": "bad", "missing": "bad", "uncertain": "warn"}.get(value.get("flag", ""), "")


@login_required
@require_POST
def draft_save(request, pk: int):
    """Save the reviewer's corrections, then run the contract check on them."""
    draft = get_object_or_404(drafts_visible(request.user), pk=pk)
    if not may_edit(request.user, draft):
        raise PermissionDenied
    if not draft_is_open(draft):
        messages.error(
            request, _("草稿已%(status)s，不能再修改") % {"status": draft.get_status_display()}
        )
        return _review(draft)
    try:
        draft = contract_draft_update(
            draft=draft, data=data_from_post(draft.data, request.POST), by=request.user
        )
        result = contract_draft_check(draft=draft, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _review(draft)
    if result["errors"] or result["conflict"]:
        messages.error(request, _("合同检查未通过：请按标红的字段更正。"))
    else:
        messages.success(
            request,
            _("已保存并检查：%(count)s 项检查发现。") % {"count": len(result["findings"])},
        )
    return _review(draft, "#check")


@login_required
@require_POST
def draft_approve(request, pk: int):
    draft = get_object_or_404(drafts_visible(request.user), pk=pk)
    if not may_edit(request.user, draft):
        raise PermissionDenied
    if not draft_is_open(draft):
        messages.info(request, _("草稿已%(status)s。") % {"status": draft.get_status_display()})
        return _review(draft)
    form = ApproveForm(request.POST)
    form.is_valid()
    try:
        contract = contract_draft_approve(
            draft=draft, by=request.user, acknowledged=form.cleaned_data.get("acknowledged", False)
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return _review(draft, "#approve")
    except DomainError as exc:
        messages.error(request, exc.message)
        return _review(draft, "#approve")
    messages.success(request, _("合同 %(number)s 已登记。") % {"number": contract.number})
    return HttpResponseRedirect(reverse("contracts:detail", kwargs={"pk": contract.pk}))


@login_required
@require_POST
def draft_reject(request, pk: int):
    draft = get_object_or_404(drafts_visible(request.user), pk=pk)
    if not may_edit(request.user, draft):
        raise PermissionDenied
    if not draft_is_open(draft):
        messages.info(request, _("草稿已%(status)s。") % {"status": draft.get_status_display()})
        return _review(draft)
    form = RejectForm(request.POST)
    form.is_valid()
    contract_draft_reject(draft=draft, by=request.user, reason=form.cleaned_data.get("reason", ""))
    messages.success(request, _("草稿已驳回。"))
    return HttpResponseRedirect(reverse("contracts:import_list"))


@login_required
def draft_json(request, pk: int):
    """The draft's contract data as corrected, in the format `yiyun contract load` reads."""
    draft = get_object_or_404(drafts_visible(request.user), pk=pk)
    body = json.dumps(contract_data(draft.data), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = str(draft.data.get("number") or f"draft-{draft.pk}")
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "-_") or f"draft-{draft.pk}"
    response["Content-Disposition"] = f'attachment; filename="{safe}.json"'
    return response
