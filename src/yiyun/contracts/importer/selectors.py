"""Reads for contract import: which drafts a user sees, what a user may do with one, the
check run as a dry run, and the review page's source text with its marks."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from yiyun.contracts.checks import contract_findings
from yiyun.contracts.dataformat import ContractDataError, contract_parse
from yiyun.contracts.importer.choices import DraftStatus, FieldFlag
from yiyun.contracts.models import Contract, ContractDraft
from yiyun.core.errors import DomainError
from yiyun.tenancy.choices import ADMIN_ROLES, OrganisationKind, Role
from yiyun.tenancy.models import Organisation
from yiyun.tenancy.selectors import can_manage, is_read_only, person_of, scoped

# Flags the reviewer must acknowledge before approving: a value may be wrong, not only
# unsure (a clause that differs from the template, amounts that disagree, something
# the rules did not find).
BLOCKING_FLAGS = (FieldFlag.DIFFERS, FieldFlag.INCONSISTENT, FieldFlag.MISSING)


def drafts_visible(user) -> QuerySet[ContractDraft]:
    """Drafts of the organisations `user` may see: the uploader's organisation, or the
    customer or provider the contract names (when registered)."""
    base = ContractDraft.objects.select_related("owner", "customer", "provider", "contract")
    if _is_superuser(user):
        # The operator sees every draft, also one that names no registered organisation.
        return base
    return (
        scoped(base, user, via="owner")
        | scoped(base, user, via="customer")
        | scoped(base, user, via="provider")
    ).distinct()


def _is_superuser(user) -> bool:
    """The operator: a superuser, or the system acting through the command line or a
    job (an actor given as a label, "cli"), which only code can be."""
    if isinstance(user, str):
        return True
    return user is not None and user.is_authenticated and user.is_superuser


def may_upload(user) -> bool:
    """Administrators of a provider or a customer (and the operator) may import."""
    if _is_superuser(user):
        return True
    person = person_of(user)
    return person is not None and not is_read_only(user) and person.role in ADMIN_ROLES


def may_edit(user, draft: ContractDraft) -> bool:
    """Correct, check or reject: an administrator of an organisation the draft belongs to."""
    if _is_superuser(user):
        return True
    if is_read_only(user):
        return False
    person = person_of(user)
    if person is None or person.role not in ADMIN_ROLES:
        return False
    return any(
        organisation is not None and can_manage(user, organisation)
        for organisation in (draft.owner, draft.customer, draft.provider)
    )


def named_parties(data: dict) -> tuple[str, str]:
    parties = data.get("parties") if isinstance(data, dict) else None
    parties = parties if isinstance(parties, dict) else {}

    def name(role: str) -> str:
        party = parties.get(role)
        return str(party.get("name") or "").strip() if isinstance(party, dict) else ""

    return name("customer"), name("provider")


def named_organisations(data: dict) -> tuple[Organisation | None, Organisation | None]:
    """The registered customer and provider the data names (None when not registered)."""
    customer_name, provider_name = named_parties(data)
    customer = (
        Organisation.objects.filter(name=customer_name, kind=OrganisationKind.CUSTOMER).first()
        if customer_name
        else None
    )
    provider = (
        Organisation.objects.filter(name=provider_name, kind=OrganisationKind.PROVIDER).first()
        if provider_name
        else None
    )
    return customer, provider


def approval_refusal(user, draft: ContractDraft) -> str:
    """Why `user` may not approve `draft` ("" when they may).

    Approving registers a contract between the parties it names, and the loader marks
    the customer as served by the provider: only the operator, an administrator of the
    named provider, or an administrator of the named customer may do that.
    """
    from django.utils.translation import gettext as _

    if not may_edit(user, draft):
        return _("您无权审核此草稿")
    if _is_superuser(user):
        return ""
    person = person_of(user)
    customer, provider = named_organisations(draft.data)
    if (
        provider is not None
        and person.organisation_id == provider.pk
        and person.role == Role.PROVIDER_ADMIN
    ):
        return ""
    if (
        customer is not None
        and person.organisation_id == customer.pk
        and person.role == Role.CUSTOMER_ADMIN
    ):
        return ""
    return _("只有合同所列乙方或甲方的管理员可以批准此合同")


def blocking_flags(draft: ContractDraft) -> list[dict]:
    """The flags of the import that need the reviewer's acknowledgement."""
    return [flag for flag in draft.review.get("flags", []) if flag.get("flag") in BLOCKING_FLAGS]


def contract_check_dry_run(data: dict, *, by, source_name: str = "") -> dict:
    """The contract check of `data` before anything is live.

    The data is checked against the format (errors name their field path), then loaded
    through the loader inside a transaction that is rolled back, and the contract check
    runs on that contract. Returns {"errors": [{"path", "message"}], "conflict": str,
    "findings": [Finding.as_dict()]}.
    """
    from yiyun.contracts.services import contract_load

    result = {"errors": [], "conflict": "", "findings": []}
    try:
        parsed = contract_parse(data)
    except ContractDataError as exc:
        for line in exc.errors:
            path, _sep, message = line.partition(": ")
            result["errors"].append({"path": path, "message": message})
        return result
    existing = Contract.objects.filter(number=parsed.number).first()
    if existing is not None:
        from django.utils.translation import gettext as _

        result["conflict"] = _("合同编号 %(number)s 已登记，不能再次导入") % {
            "number": parsed.number
        }
        return result
    try:
        with transaction.atomic():
            contract, _created = contract_load(data=data, by=by, source_name=source_name)
            result["findings"] = [finding.as_dict() for finding in contract_findings(contract)]
            # A dry run: nothing of it stays.
            transaction.set_rollback(True)
    except DomainError as exc:
        result["conflict"] = exc.message
    return result


def draft_is_open(draft: ContractDraft) -> bool:
    return draft.status == DraftStatus.DRAFT
