"""Writes for the data lifecycle.

The disclosure register (6.3) is here; backups, end of service and deletion records
live in their own modules (`backups.py`, `endofservice.py`) and are re-exported below.
"""

import hashlib
import json
import re
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.datalife.choices import DisclosureBasis
from yiyun.datalife.models import Disclosure, DisclosureAnnotation
from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Organisation, Person
from yiyun.tenancy.selectors import is_read_only, visible_organisations

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def actor_label(actor) -> tuple[str, object | None]:
    """(label, user or None) for a user, a Person, a plain name, or None ("system")."""
    if actor is None:
        return "system", None
    if isinstance(actor, str):
        return actor, None
    if isinstance(actor, Person):
        return actor.name, actor.user
    person = getattr(actor, "person", None)
    label = person.name if person is not None else actor.get_username()
    return label, actor


def customer_contacts(organisation: Organisation) -> list[Person]:
    """Who hears about the organisation's data: its admins, else everyone with a login."""
    people = list(organisation.people.filter(role=Role.CUSTOMER_ADMIN))
    if not people:
        people = list(organisation.people.filter(user__isnull=False))
    return people


def _check_files(files) -> list[dict]:
    if not isinstance(files, list):
        raise DomainError("files must be a list", field="files")
    clean = []
    for index, item in enumerate(files):
        if not isinstance(item, dict):
            raise DomainError(f"files[{index}] must be an object", field="files")
        name, digest, size = item.get("name"), item.get("sha256"), item.get("size")
        if not isinstance(name, str) or not name.strip():
            raise DomainError(f"files[{index}].name is missing", field="files")
        if not isinstance(digest, str) or not _SHA256.match(digest.lower()):
            raise DomainError(f"files[{index}].sha256 is not a SHA-256", field="files")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise DomainError(f"files[{index}].size is not a byte count", field="files")
        clean.append({"name": name, "sha256": digest.lower(), "size": size})
    return clean


def disclosure_content_hash(disclosure: Disclosure) -> str:
    """SHA-256 over the entry as recorded: a later change behind the platform's back shows."""
    content = {
        "organisation": disclosure.organisation_id,
        "basis": disclosure.basis,
        "authority": disclosure.authority,
        "document_number": disclosure.document_number,
        "legal_basis": disclosure.legal_basis,
        "scope": disclosure.scope,
        "approved_by": disclosure.approved_by,
        "handed_over_at": disclosure.handed_over_at.isoformat(timespec="microseconds"),
        "files": disclosure.files,
        "source": disclosure.source,
        "recorded_at": disclosure.recorded_at.isoformat(timespec="microseconds"),
    }
    canonical = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def disclosure_record(
    *,
    organisation: Organisation,
    basis: str,
    authority: str,
    document_number: str,
    legal_basis: str,
    scope: dict,
    approved_by,
    handed_over_at: datetime,
    files: list[dict],
    source: str,
    by=None,
) -> Disclosure:
    """Enter one use or disclosure of `organisation`'s data in its register (6.3).

    `basis` is "6.3.1" (a lawful request by an authority: `document_number` is the
    authority's document and is required) or "6.3.2" (agreed between the parties).
    `scope` says which data sets and which time range (JSON object); `files` lists
    exactly what was handed over as [{"name", "sha256", "size"}]; `approved_by` is the
    user, Person or name of whoever approved it; `source` names what produced the entry
    ("websites:export:42", "manual"). `by` (optional) is who records it, else the approver.

    The entry can never be changed or deleted, only annotated (`disclosure_annotate`).
    The customer's admins get an in-site message.
    """
    if basis not in DisclosureBasis.values:
        raise DomainError(f"unknown basis {basis!r}: 6.3.1 or 6.3.2", field="basis")
    authority, legal_basis = (authority or "").strip(), (legal_basis or "").strip()
    document_number = (document_number or "").strip()
    if not authority:
        raise DomainError("the requesting authority or recipient is required", field="authority")
    if not legal_basis:
        raise DomainError("the legal basis or agreement is required", field="legal_basis")
    # 6.3.1: a lawful request comes with the authority's document.
    if basis == DisclosureBasis.LAWFUL_REQUEST and not document_number:
        raise DomainError(
            "a lawful request needs the authority's document number", field="document_number"
        )
    if not isinstance(scope, dict):
        raise DomainError("scope must be an object", field="scope")
    if handed_over_at is None or handed_over_at.tzinfo is None:
        raise DomainError("handed_over_at must be an aware datetime", field="handed_over_at")
    now = clock.now()
    if handed_over_at > now:
        raise DomainError(
            "a hand-over cannot be recorded before it happens", field="handed_over_at"
        )
    if not source:
        raise DomainError("source is required", field="source")
    approver, approver_user = actor_label(approved_by)
    recorder, _recorder_user = actor_label(by if by is not None else approved_by)
    disclosure = Disclosure(
        organisation=organisation,
        basis=basis,
        authority=authority[:200],
        document_number=document_number[:120],
        legal_basis=legal_basis,
        scope=json.loads(json.dumps(scope, cls=DjangoJSONEncoder)),
        approved_by=approver[:150],
        approved_by_user=approver_user,
        handed_over_at=handed_over_at,
        files=_check_files(files),
        source=source[:120],
        recorded_at=now,
        recorded_by=recorder[:150],
    )
    disclosure.content_hash = disclosure_content_hash(disclosure)
    disclosure.save()
    audit_record(
        actor=by if by is not None else (approver_user or approver),
        action="disclosure.recorded",
        obj=disclosure,
        organisation=organisation,
        data={
            "basis": basis,
            "authority": disclosure.authority,
            "document_number": disclosure.document_number,
            "files": len(disclosure.files),
            "source": disclosure.source,
            "content_hash": disclosure.content_hash,
        },
    )
    from yiyun.notices.services import inbox_send

    inbox_send(
        recipients=customer_contacts(organisation),
        subject=_("数据披露登记：%(authority)s") % {"authority": disclosure.authority},
        body=_("依据 %(basis)s，于 %(at)s 移交 %(count)d 个文件。")
        % {
            "basis": disclosure.get_basis_display(),
            "at": clock.local(handed_over_at).strftime("%Y-%m-%d %H:%M"),
            "count": len(disclosure.files),
        },
        link=reverse("datalife:disclosure", args=[disclosure.pk]),
        source=f"datalife:disclosure:{disclosure.pk}",
    )
    return disclosure


@transaction.atomic
def disclosure_annotate(*, disclosure: Disclosure, text: str, by) -> DisclosureAnnotation:
    """Add a remark to a register entry; the entry itself stays as recorded.

    A signed-in `by` must see the entry's organisation and may not be read-only.
    """
    if by is not None and not isinstance(by, str):
        if is_read_only(by):
            raise PermissionDenied("read-only account")
        if not visible_organisations(by).filter(pk=disclosure.organisation_id).exists():
            raise PermissionDenied("not your register")
    text = (text or "").strip()
    if not text:
        raise DomainError("an annotation needs text", field="text")
    label, user = actor_label(by)
    annotation = DisclosureAnnotation.objects.create(
        disclosure=disclosure, text=text, by=label[:150], by_user=user, at=clock.now()
    )
    audit_record(
        actor=by,
        action="disclosure.annotated",
        obj=disclosure,
        organisation=disclosure.organisation_id,
        data={"annotation": annotation.pk, "text": text},
    )
    return annotation
