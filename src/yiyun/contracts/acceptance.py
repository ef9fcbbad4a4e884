"""Acceptance (1.3): records, criteria, signatures, rectification, the signed PDF.

1.3 as the contract writes it: after go-live both parties test the platform's functions
and parameters; an acceptance record (验收记录单) lists time, place, participants, each
criterion with what was found and the problems, and is signed by both authorised
representatives. A failed first acceptance: the provider rectifies within the time the
customer sets, and **the rectification period does not count toward the service
period** (the end date moves by its length); a failed re-acceptance lets the customer
terminate and claim its direct losses.

The flow here:

1. `acceptance_record_create` — a round (1, then 2… for re-acceptances) with its
   criteria taken from the contract: the entitlement of 1.2 and the four circuits;
   `acceptance_criterion_add` adds criteria the parties agree on.
2. `acceptance_cloud_check` fills the entitlement criteria from what the cloud app has
   allocated; `acceptance_criterion_record` records a result by hand.
3. `acceptance_conclude` — the result follows from the criteria (all passed: passed);
   the content is then frozen and its SHA-256 kept.
4. `acceptance_sign` — each side's authorised representative confirms, signed in. With
   both signatures the PDF is rendered and its SHA-256 stored; a failed re-acceptance
   grants the customer its rights in the breach ledger.
5. After a failure, `acceptance_rectification_set` (the customer sets the deadline: an
   obligation on the provider, rule "1.3.rectification") and
   `acceptance_rectification_complete` (the provider reports it done, or the customer
   records it: the obligation is met and the service period shifts by the days it
   lasted).

Who signs: the representative named on the record for that side, or — when none is
named — that side's administrator (customer admin / provider admin). Nobody signs for
the other side: a provider admin, who manages the customers it serves, still cannot
sign as the customer. Auditors and the operator never sign.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiyun.contracts.choices import (
    AcceptanceResult,
    AcceptanceStage,
    ContractStatus,
    CriterionSource,
    Party,
    RightCode,
)
from yiyun.contracts.models import (
    AcceptanceCriterion,
    AcceptanceRecord,
    AcceptanceSignature,
    Contract,
    Right,
)
from yiyun.contracts.selectors import contract_children_visible
from yiyun.contracts.services import service_period_shift
from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import Conflict, DomainError
from yiyun.notices.services import inbox_send
from yiyun.obligations.choices import ObligationClock, ObligationState
from yiyun.obligations.registry import DAY_BEFORE, HALF_TIME, ClauseRule, register, registered
from yiyun.obligations.services import obligation_meet, obligation_open
from yiyun.tenancy.choices import ADMIN_ROLES, Role
from yiyun.tenancy.models import Person
from yiyun.tenancy.selectors import can_manage, is_read_only, person_of, scoped

RECTIFICATION_RULE = "1.3.rectification"

# 1.3: the provider rectifies within the time the customer sets (clock SET: due_at given).
if registered(RECTIFICATION_RULE) is None:
    register(
        ClauseRule(
            key=RECTIFICATION_RULE,
            clause="1.3",
            title=gettext_lazy("初验不合格，乙方在甲方限定时间内整改完毕"),
            trigger=gettext_lazy("验收不合格，甲方限定整改期限"),
            clock=ObligationClock.SET,
            bound=Party.PROVIDER,
            right=RightCode.CUSTOMER_MAY_TERMINATE,
            consequence=gettext_lazy("未限期完成整改的，甲方有权单方面解除合同（2.1）"),
            reminders=(HALF_TIME, DAY_BEFORE),
        )
    )

# 1.2's resources as the contract names them.
RESOURCE_LABELS = {
    "vcpu": gettext_lazy("CPU（vCPU）"),
    "memory": gettext_lazy("内存"),
    "storage": gettext_lazy("存储"),
    "system_disk": gettext_lazy("业务系统盘"),
}

# Who may sign for a side when the record names no representative.
SIDE_ADMIN_ROLE = {Party.CUSTOMER: Role.CUSTOMER_ADMIN, Party.PROVIDER: Role.PROVIDER_ADMIN}
SIDES = (Party.CUSTOMER, Party.PROVIDER)


def _actor_label(by) -> str:
    if by is None:
        return "system"
    if isinstance(by, str):
        return by[:150]
    return by.get_username()[:150]


def _figure(value: Decimal) -> str:
    """212.000 → "212", 102.40 → "102.4" (never "2.12E+2")."""
    return f"{Decimal(value).normalize():f}"


def _is_user(by) -> bool:
    return by is not None and not isinstance(by, str)


# -- reads -------------------------------------------------------------------------------


def acceptance_records_visible(user) -> QuerySet[AcceptanceRecord]:
    """Acceptance records of the contracts `user` may see."""
    return contract_children_visible(
        AcceptanceRecord.objects.select_related(
            "contract",
            "contract__customer",
            "contract__provider",
            "customer_representative",
            "provider_representative",
            "rectification_obligation",
            "shift",
        ),
        user,
    )


def acceptance_criteria_visible(user) -> QuerySet[AcceptanceCriterion]:
    return scoped(
        AcceptanceCriterion.objects.select_related("record", "record__contract"),
        user,
        via="record__contract__customer",
    )


def side_of(user, contract: Contract) -> str | None:
    """The side of `contract` `user`'s person belongs to (customer / provider), or None."""
    person = person_of(user)
    if person is None:
        return None
    if person.organisation_id == contract.customer_id:
        return Party.CUSTOMER
    if person.organisation_id == contract.provider_id:
        return Party.PROVIDER
    return None


def representative_of(record: AcceptanceRecord, party: str) -> Person | None:
    return (
        record.customer_representative
        if party == Party.CUSTOMER
        else record.provider_representative
    )


def may_sign(user, record: AcceptanceRecord, party: str) -> bool:
    """Is `user` an authorised representative of `party` for `record`?

    The person named on the record for that side; when none is named, that side's
    administrator. Never an auditor, never somebody of the other side, never the operator.
    """
    if party not in SIDES or not _is_user(user) or is_read_only(user):
        return False
    person = person_of(user)
    if person is None or side_of(user, record.contract) != party:
        return False
    named = representative_of(record, party)
    if named is not None:
        return person.pk == named.pk
    return person.role == SIDE_ADMIN_ROLE[party]


def signers_for(record: AcceptanceRecord, party: str) -> list[Person]:
    """Who may sign for `party` (shown on the page)."""
    named = representative_of(record, party)
    if named is not None:
        return [named]
    organisation_id = (
        record.contract.customer_id if party == Party.CUSTOMER else record.contract.provider_id
    )
    return list(
        Person.objects.filter(
            organisation_id=organisation_id, role=SIDE_ADMIN_ROLE[party], user__isnull=False
        )
    )


def may_edit(user, contract: Contract) -> bool:
    """May `user` record the acceptance (criteria, results, conclusion)? Either side's
    administrators; auditors never."""
    if not _is_user(user):
        return True
    return not is_read_only(user) and can_manage(user, contract.customer)


def may_act_for(user, record: AcceptanceRecord, party: str) -> bool:
    """May `user` act for `party` on `record` (the customer sets the rectification
    deadline, the provider reports it done)? That side's administrators, or the
    representative named for it."""
    if not _is_user(user) or is_read_only(user) or side_of(user, record.contract) != party:
        return False
    person = person_of(user)
    named = representative_of(record, party)
    return person.role in ADMIN_ROLES or (named is not None and named.pk == person.pk)


def acceptance_content(record: AcceptanceRecord) -> dict:
    """What the signatures confirm: the record's content, in a stable form."""
    return {
        "contract": record.contract.number,
        "round": record.round,
        "held_at": clock.local(record.held_at).isoformat(),
        "place": record.place,
        "customer_participants": record.customer_participants,
        "provider_participants": record.provider_participants,
        "customer_representative": (
            record.customer_representative.name if record.customer_representative else ""
        ),
        "provider_representative": (
            record.provider_representative.name if record.provider_representative else ""
        ),
        "criteria": [
            {
                "position": criterion.position,
                "source": criterion.source,
                "item": criterion.item,
                "standard": criterion.standard,
                "measured": criterion.measured,
                "passed": criterion.passed,
                "problems": criterion.problems,
            }
            for criterion in record.criteria.order_by("position")
        ],
        "result": record.result,
        "conclusion": record.conclusion,
    }


def acceptance_content_sha256(record: AcceptanceRecord) -> str:
    text = json.dumps(
        acceptance_content(record), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class PdfCheck:
    """The result of checking a PDF against a record."""

    record_has_pdf: bool
    stored_intact: bool
    matches: bool | None
    sha256: str


def acceptance_pdf_verify(*, record: AcceptanceRecord, data: bytes | None = None, sha256=""):
    """Check a PDF (its bytes, or its SHA-256 as hex) against the signed record's: does it
    match, and is the stored PDF itself still the one whose hash was recorded?"""
    stored = bytes(record.pdf) if record.pdf is not None else b""
    intact = bool(stored) and hashlib.sha256(stored).hexdigest() == record.pdf_sha256
    if data is not None:
        sha256 = hashlib.sha256(data).hexdigest()
    sha256 = (sha256 or "").strip().lower()
    matches = (sha256 == record.pdf_sha256) if (sha256 and record.pdf_sha256) else None
    return PdfCheck(bool(record.pdf_sha256), intact, matches, sha256)


# -- writes ------------------------------------------------------------------------------


def _require_edit(by, contract: Contract) -> None:
    if not may_edit(by, contract):
        raise PermissionDenied(_("只有双方的管理员可以登记验收"))


def _require_active(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise DomainError(
            _("合同已%(status)s") % {"status": contract.get_status_display()},
            code="contract_ended",
        )


def _require_draft(record: AcceptanceRecord) -> None:
    if record.stage != AcceptanceStage.DRAFT:
        raise Conflict(_("验收记录单已出结论，不能再修改"), code="record_concluded")


def _check_representative(person: Person | None, contract: Contract, party: str, field: str):
    if person is None:
        return
    organisation_id = contract.customer_id if party == Party.CUSTOMER else contract.provider_id
    if person.organisation_id != organisation_id:
        raise DomainError(
            _("%(party)s的授权代表必须是%(organisation)s的人员")
            % {
                "party": Party(party).label,
                "organisation": contract.party_organisation(party).name,
            },
            field=field,
        )
    if person.user_id is None or person.role == Role.AUDITOR:
        raise DomainError(_("授权代表必须有登录账号且不是只读审计员"), field=field)


def _aware(value, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise DomainError(_("%(name)s 必须是带时区的日期时间") % {"name": name}, field=name)
    return value


def _contract_criteria(contract: Contract) -> list[dict]:
    """1.2: the entitlement and the circuits, as acceptance criteria."""
    criteria = []
    for entitlement in contract.entitlements.all():
        criteria.append(
            {
                "source": CriterionSource.ENTITLEMENT,
                "key": entitlement.resource,
                "item": _("云资源：%(resource)s")
                % {"resource": RESOURCE_LABELS.get(entitlement.resource, entitlement.resource)},
                "standard": _("不少于 %(quantity)s %(unit)s（合同原文：%(stated)s）")
                % {
                    "quantity": _figure(entitlement.quantity),
                    "unit": entitlement.unit,
                    "stated": entitlement.stated or "—",
                },
                "expected_quantity": entitlement.quantity,
                "unit": entitlement.unit,
            }
        )
    for position, circuit in enumerate(contract.circuits or [], start=1):
        bandwidth = circuit.get("bandwidth_mbps") or 100
        criteria.append(
            {
                "source": CriterionSource.CIRCUIT,
                "key": f"circuit:{position}",
                "item": _("点对点电路：%(a)s — %(z)s")
                % {"a": circuit.get("a_end", ""), "z": circuit.get("z_end", "")},
                "standard": _("带宽 %(bandwidth)s Mbit/s，连通，用于数据传输和办公")
                % {"bandwidth": bandwidth},
                "expected_quantity": bandwidth,
                "unit": "Mbit/s",
            }
        )
    return criteria


@transaction.atomic
def acceptance_record_create(
    *,
    contract: Contract,
    held_at: datetime,
    place: str,
    customer_participants: str,
    provider_participants: str,
    by,
    customer_representative: Person | None = None,
    provider_representative: Person | None = None,
) -> AcceptanceRecord:
    """Open an acceptance record (1.3) with the contract's criteria (1.2's entitlement and
    circuits). The first is round 1; a re-acceptance (round 2, …) follows a failed round
    whose rectification the provider has reported complete. Refused while a round is
    unsigned, and after a round has passed."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require_edit(by, contract)
    _require_active(contract)
    held_at = _aware(held_at, "held_at")
    place = (place or "").strip()
    if not place:
        raise DomainError(_("请填写验收地点"), field="place")
    if not (customer_participants or "").strip():
        raise DomainError(_("请填写甲方参与验收人员"), field="customer_participants")
    if not (provider_participants or "").strip():
        raise DomainError(_("请填写乙方参与验收人员"), field="provider_participants")
    _check_representative(
        customer_representative, contract, Party.CUSTOMER, "customer_representative"
    )
    _check_representative(
        provider_representative, contract, Party.PROVIDER, "provider_representative"
    )
    previous = contract.acceptance_records.order_by("-round").first()
    if previous is not None:
        if previous.stage != AcceptanceStage.SIGNED:
            raise Conflict(_("上一轮验收尚未经双方签字确认"), code="previous_unsigned")
        if previous.result == AcceptanceResult.PASSED:
            raise Conflict(_("本合同已验收合格"), code="already_accepted")
        if previous.rectification_completed_at is None:
            raise Conflict(
                _("上一轮验收不合格，乙方尚未报告整改完毕，不能重新验收"),
                code="rectification_open",
            )
    record = AcceptanceRecord.objects.create(
        contract=contract,
        round=(previous.round + 1) if previous else 1,
        held_at=held_at,
        place=place[:200],
        customer_participants=customer_participants.strip(),
        provider_participants=provider_participants.strip(),
        customer_representative=customer_representative,
        provider_representative=provider_representative,
        created_by=_actor_label(by),
        created_at=clock.now(),
    )
    AcceptanceCriterion.objects.bulk_create(
        AcceptanceCriterion(record=record, position=position, **criterion)
        for position, criterion in enumerate(_contract_criteria(contract), start=1)
    )
    audit_record(
        actor=by,
        action="contract.acceptance_created",
        obj=record,
        organisation=contract.customer_id,
        data={
            "contract": contract.number,
            "round": record.round,
            "held_at": held_at,
            "place": record.place,
            "criteria": record.criteria.count(),
        },
    )
    return record


@transaction.atomic
def acceptance_criterion_add(
    *, record: AcceptanceRecord, item: str, standard: str, by
) -> AcceptanceCriterion:
    """A criterion the parties add to the record (1.3: functions, parameters…)."""
    record = AcceptanceRecord.objects.select_for_update().get(pk=record.pk)
    _require_edit(by, record.contract)
    _require_draft(record)
    item, standard = (item or "").strip(), (standard or "").strip()
    if not item:
        raise DomainError(_("请填写验收项目"), field="item")
    if not standard:
        raise DomainError(_("请填写验收标准"), field="standard")
    position = (record.criteria.aggregate(last=Max("position"))["last"] or 0) + 1
    criterion = AcceptanceCriterion.objects.create(
        record=record,
        position=position,
        source=CriterionSource.ADDED,
        item=item[:200],
        standard=standard[:300],
    )
    audit_record(
        actor=by,
        action="contract.acceptance_criterion_added",
        obj=record,
        organisation=record.contract.customer_id,
        data={"position": position, "item": criterion.item, "standard": criterion.standard},
    )
    return criterion


@transaction.atomic
def acceptance_criterion_record(
    *, criterion: AcceptanceCriterion, measured: str, passed: bool, by, problems: str = ""
) -> AcceptanceCriterion:
    """Record what was found for one criterion, whether it passed, and the problems (1.3:
    problems found are recorded in detail — required when it did not pass)."""
    criterion = (
        AcceptanceCriterion.objects.select_for_update(of=("self",))
        .select_related("record", "record__contract")
        .get(pk=criterion.pk)
    )
    _require_edit(by, criterion.record.contract)
    _require_draft(criterion.record)
    measured, problems = (measured or "").strip(), (problems or "").strip()
    if not isinstance(passed, bool):
        raise DomainError(_("请选择是否合格"), field="passed")
    if not measured:
        raise DomainError(_("请填写验收情况"), field="measured")
    if not passed and not problems:
        raise DomainError(_("不合格的项目须详细记录发现的问题"), field="problems")
    criterion.measured = measured[:300]
    criterion.passed = passed
    criterion.problems = problems
    criterion.checked_by = _actor_label(by)
    criterion.checked_at = clock.now()
    criterion.save()
    audit_record(
        actor=by,
        action="contract.acceptance_criterion_recorded",
        obj=criterion.record,
        organisation=criterion.record.contract.customer_id,
        data={
            "position": criterion.position,
            "measured": criterion.measured,
            "passed": passed,
            "problems": problems,
        },
    )
    return criterion


@transaction.atomic
def acceptance_cloud_check(*, record: AcceptanceRecord, by) -> int:
    """Fill the entitlement criteria (1.2) from what the cloud app has allocated to the
    contract's servers: passed when the allocation reaches the entitlement. Returns how
    many criteria it filled (none when the cloud app has no servers for the contract)."""
    from yiyun.cloud.selectors import capacity
    from yiyun.cloud.units import to_base

    record = AcceptanceRecord.objects.select_for_update().get(pk=record.pk)
    _require_edit(by, record.contract)
    _require_draft(record)
    report = capacity(record.contract)
    if not report.servers:
        return 0
    lines = {line.resource: line for line in report.lines}
    filled = 0
    moment = clock.now()
    for criterion in record.criteria.filter(source=CriterionSource.ENTITLEMENT):
        line = lines.get(criterion.key)
        if line is None or criterion.expected_quantity is None:
            continue
        factor = to_base(1, criterion.unit)
        expected = to_base(criterion.expected_quantity, criterion.unit)
        allocated = line.allocated
        shown = _figure((allocated / factor).quantize(Decimal("0.001")))
        criterion.measured = _(
            "云资源记录：%(servers)s 台云服务器共分配 %(allocated)s %(unit)s（%(base)s %(base_unit)s）"
        ) % {
            "servers": report.servers,
            "allocated": shown,
            "unit": criterion.unit,
            "base": _figure(allocated),
            "base_unit": line.unit,
        }
        criterion.passed = allocated >= expected
        criterion.problems = (
            ""
            if criterion.passed
            else _("已分配 %(allocated)s %(unit)s，少于合同约定的 %(expected)s %(unit)s")
            % {
                "allocated": _figure(allocated),
                "expected": _figure(expected),
                "unit": line.unit,
            }
        )
        criterion.checked_by = _actor_label(by)
        criterion.checked_at = moment
        criterion.save()
        filled += 1
    audit_record(
        actor=by,
        action="contract.acceptance_cloud_checked",
        obj=record,
        organisation=record.contract.customer_id,
        data={"filled": filled, "servers": report.servers},
    )
    return filled


def _people(organisation_id: int) -> list[Person]:
    admins = list(Person.objects.filter(organisation_id=organisation_id, role__in=ADMIN_ROLES))
    return admins or list(Person.objects.filter(organisation_id=organisation_id))


def _tell(record: AcceptanceRecord, *, parties, subject: str, body: str, source: str) -> None:
    recipients = []
    for party in parties:
        organisation_id = (
            record.contract.customer_id if party == Party.CUSTOMER else record.contract.provider_id
        )
        named = representative_of(record, party)
        people = _people(organisation_id)
        if named is not None and named not in people:
            people.append(named)
        recipients.extend(people)
    inbox_send(
        recipients=recipients,
        subject=subject,
        body=body,
        link=reverse("contracts:acceptance_detail", kwargs={"pk": record.pk}),
        source=source,
    )


@transaction.atomic
def acceptance_conclude(*, record: AcceptanceRecord, by, conclusion: str = "") -> AcceptanceRecord:
    """Conclude the record: passed when every criterion passed, failed otherwise. Every
    criterion must have a result. The content is frozen and its SHA-256 kept; the
    representatives sign next."""
    record = AcceptanceRecord.objects.select_for_update().get(pk=record.pk)
    _require_edit(by, record.contract)
    _require_draft(record)
    criteria = list(record.criteria.all())
    if not criteria:
        raise DomainError(_("验收记录单没有验收标准"), code="no_criteria")
    missing = [criterion.position for criterion in criteria if criterion.passed is None]
    if missing:
        raise DomainError(
            _("以下验收标准尚未记录验收情况：%(positions)s")
            % {"positions": "、".join(str(position) for position in missing)},
            code="criteria_open",
        )
    passed = all(criterion.passed for criterion in criteria)
    record.result = AcceptanceResult.PASSED if passed else AcceptanceResult.FAILED
    record.conclusion = (conclusion or "").strip()
    record.stage = AcceptanceStage.CONCLUDED
    record.concluded_at = clock.now()
    record.concluded_by = _actor_label(by)
    record.content_sha256 = acceptance_content_sha256(record)
    record.save()
    audit_record(
        actor=by,
        action="contract.acceptance_concluded",
        obj=record,
        organisation=record.contract.customer_id,
        data={
            "round": record.round,
            "result": record.result,
            "failed": [criterion.position for criterion in criteria if not criterion.passed],
            "content_sha256": record.content_sha256,
        },
    )
    _tell(
        record,
        parties=SIDES,
        subject=_("验收记录单（第%(round)s轮）待授权代表签字：%(result)s")
        % {"round": record.round, "result": record.get_result_display()},
        body=_("合同 %(number)s，验收时间 %(at)s，地点 %(place)s。")
        % {
            "number": record.contract.number,
            "at": f"{clock.local(record.held_at):%Y-%m-%d %H:%M}",
            "place": record.place,
        },
        source=f"acceptance:{record.pk}:concluded",
    )
    return record


@transaction.atomic
def acceptance_sign(*, record: AcceptanceRecord, party: str, by) -> AcceptanceSignature:
    """An authorised representative of `party`, signed in, confirms the concluded record.

    PermissionDenied for anybody else (see `may_sign`). With both signatures the record is
    final: its PDF is rendered and its SHA-256 stored, and a failed re-acceptance grants
    the customer the right to terminate and to claim its direct losses (1.3)."""
    record = (
        AcceptanceRecord.objects.select_for_update(of=("self",))
        .select_related("contract", "customer_representative", "provider_representative")
        .get(pk=record.pk)
    )
    if party not in SIDES:
        raise DomainError(_("签字方必须是甲方或乙方"), field="party")
    if not may_sign(by, record, party):
        raise PermissionDenied(
            _("只有%(party)s的授权代表本人登录后才能签字") % {"party": Party(party).label}
        )
    if record.stage != AcceptanceStage.CONCLUDED:
        raise Conflict(
            _("验收记录单当前为“%(stage)s”，不能签字") % {"stage": record.get_stage_display()},
            code="not_concluded",
        )
    if record.signatures.filter(party=party).exists():
        raise Conflict(_("%(party)s已签字") % {"party": Party(party).label}, code="already_signed")
    content = acceptance_content_sha256(record)
    if content != record.content_sha256:
        raise Conflict(_("验收记录单内容与出结论时不一致，拒绝签字"), code="content_changed")
    person = person_of(by)
    signature = AcceptanceSignature.objects.create(
        record=record,
        party=party,
        person=person,
        name=person.name,
        username=by.get_username(),
        signed_at=clock.now(),
        content_sha256=content,
    )
    audit_record(
        actor=by,
        action="contract.acceptance_signed",
        obj=record,
        organisation=record.contract.customer_id,
        data={
            "round": record.round,
            "party": party,
            "person": person.pk,
            "name": person.name,
            "content_sha256": content,
        },
    )
    if record.signatures.count() == len(SIDES):
        _finalise(record, by=by)
    return signature


def _finalise(record: AcceptanceRecord, *, by) -> None:
    """Both have signed: store the PDF and apply what the result means."""
    moment = clock.now()
    record.stage = AcceptanceStage.SIGNED
    record.pdf = acceptance_pdf_render(record)
    record.pdf_sha256 = hashlib.sha256(record.pdf).hexdigest()
    record.pdf_generated_at = moment
    record.save(update_fields=["stage", "pdf", "pdf_sha256", "pdf_generated_at"])
    rights = []
    if record.result == AcceptanceResult.FAILED and record.is_reacceptance:
        # 1.3: 如重新验收仍不合格，甲方有权单方面解除合同并要求乙方赔偿直接经济损失.
        for code in (RightCode.CUSTOMER_MAY_TERMINATE, RightCode.CUSTOMER_MAY_CLAIM_LOSSES):
            rights.append(
                Right.objects.create(
                    contract=record.contract,
                    clause="1.3",
                    code=code,
                    holder=Party.CUSTOMER,
                    granted_at=moment,
                )
            )
    audit_record(
        actor=by,
        action="contract.acceptance_signed_by_both",
        obj=record,
        organisation=record.contract.customer_id,
        data={
            "round": record.round,
            "result": record.result,
            "pdf_sha256": record.pdf_sha256,
            "rights": [right.code for right in rights],
        },
    )
    if record.result == AcceptanceResult.PASSED:
        subject = _("验收合格（第%(round)s轮），验收记录单已由双方签字") % {"round": record.round}
    elif rights:
        subject = _("重新验收仍不合格：甲方有权解除合同并要求赔偿直接经济损失（1.3）")
    else:
        subject = _("初验不合格：请甲方限定整改期限（1.3）")
    _tell(
        record,
        parties=SIDES,
        subject=subject,
        body=_("验收记录单 PDF 的 SHA-256：%(sha)s") % {"sha": record.pdf_sha256},
        source=f"acceptance:{record.pk}:signed",
    )


@transaction.atomic
def acceptance_rectification_set(
    *, record: AcceptanceRecord, due_at: datetime, by
) -> AcceptanceRecord:
    """1.3: after a failed acceptance, the customer sets the time within which the provider
    must rectify. Opens the obligation (rule "1.3.rectification", due at `due_at`); the
    rectification period starts now."""
    record = (
        AcceptanceRecord.objects.select_for_update(of=("self",))
        .select_related("contract")
        .get(pk=record.pk)
    )
    if not may_act_for(by, record, Party.CUSTOMER) and _is_user(by):
        raise PermissionDenied(_("整改期限由甲方限定"))
    _require_active(record.contract)
    if record.result != AcceptanceResult.FAILED:
        raise Conflict(_("只有验收不合格时才需限定整改期限"), code="not_failed")
    if record.rectification_obligation_id is not None:
        raise Conflict(_("整改期限已限定"), code="already_set")
    due_at = _aware(due_at, "due_at")
    moment = clock.now()
    if due_at <= moment:
        raise DomainError(_("整改期限必须晚于现在"), field="due_at")
    obligation = obligation_open(
        contract=record.contract,
        clause=RECTIFICATION_RULE,
        subject=record,
        trigger_at=moment,
        due_at=due_at,
        note=_("验收记录单第%(round)s轮不合格") % {"round": record.round},
        by=by,
    )
    record.rectification_started_at = moment
    record.rectification_due_at = due_at
    record.rectification_obligation = obligation
    record.save(
        update_fields=[
            "rectification_started_at",
            "rectification_due_at",
            "rectification_obligation",
        ]
    )
    audit_record(
        actor=by,
        action="contract.acceptance_rectification_set",
        obj=record,
        organisation=record.contract.customer_id,
        data={"round": record.round, "started_at": moment, "due_at": due_at},
    )
    _tell(
        record,
        parties=(Party.PROVIDER,),
        subject=_("验收不合格，甲方限定整改期限至 %(due)s（1.3）")
        % {"due": f"{clock.local(due_at):%Y-%m-%d %H:%M}"},
        body=_("整改期间不计入服务期；整改完毕后请在平台上报告，然后重新验收。"),
        source=f"acceptance:{record.pk}:rectification",
    )
    return record


@transaction.atomic
def acceptance_rectification_complete(
    *, record: AcceptanceRecord, by, at: datetime | None = None, note: str = ""
) -> AcceptanceRecord:
    """1.3: the rectification is complete (at `at`, default now) — reported by the
    provider, or recorded by the customer when it confirms it (either side's
    administrators or representatives). The obligation is met (or, after its deadline,
    recorded as late); the rectification period — the calendar days from its start to
    its completion — does not count toward the service period, so the contract's end
    moves by that many days (`contracts.services.service_period_shift`, which also
    re-plans 11.1's notice deadline and the expiry)."""
    record = (
        AcceptanceRecord.objects.select_for_update(of=("self",))
        .select_related("contract")
        .get(pk=record.pk)
    )
    if _is_user(by) and not any(may_act_for(by, record, party) for party in SIDES):
        raise PermissionDenied(_("整改完毕由乙方报告，或由甲方确认后登记"))
    if record.rectification_obligation_id is None:
        raise Conflict(_("甲方尚未限定整改期限"), code="no_rectification")
    if record.rectification_completed_at is not None:
        raise Conflict(_("已报告整改完毕"), code="already_completed")
    moment = clock.now()
    at = _aware(at, "at") if at is not None else moment
    if at > moment or at < record.rectification_started_at:
        raise DomainError(_("整改完毕时间须在整改开始之后、现在之前"), field="at")
    obligation = record.rectification_obligation
    if obligation.state in (ObligationState.OPEN, ObligationState.BREACHED):
        obligation_meet(
            obligation=obligation,
            at=at,
            by=by,
            evidence=note or _("乙方报告整改完毕"),
        )
    started = clock.local(record.rectification_started_at).date()
    completed = clock.local(at).date()
    # Civil Code art. 201: the day it started is not counted; the end date moves by the
    # days that follow, up to and including the day the rectification was complete.
    days = (completed - started).days
    record.rectification_completed_at = at
    if days >= 1:
        record.shift = service_period_shift(
            contract=record.contract,
            days=days,
            reason=_(
                "验收不合格整改期 %(start)s 至 %(end)s 共 %(days)s 天不计入服务期"
                "（验收记录单第%(round)s轮）"
            )
            % {
                "start": started.isoformat(),
                "end": completed.isoformat(),
                "days": days,
                "round": record.round,
            },
            by=by,
            clause="1.3",
        )
    record.save(update_fields=["rectification_completed_at", "shift"])
    audit_record(
        actor=by,
        action="contract.acceptance_rectification_completed",
        obj=record,
        organisation=record.contract.customer_id,
        data={
            "round": record.round,
            "completed_at": at,
            "days": days,
            "shift": record.shift_id,
            "note": note,
        },
    )
    _tell(
        record,
        parties=(Party.CUSTOMER,),
        subject=_("乙方报告整改完毕，请安排重新验收（1.3）"),
        body=_("整改期 %(days)s 天不计入服务期，服务期止顺延至 %(end)s。")
        % {"days": days, "end": record.contract.end.isoformat()},
        source=f"acceptance:{record.pk}:rectified",
    )
    return record


@transaction.atomic
def acceptance_scan_attach(*, record: AcceptanceRecord, scan, by) -> AcceptanceRecord:
    """Attach the scan of the paper record as signed on site (kept with its SHA-256)."""
    record = AcceptanceRecord.objects.select_for_update().get(pk=record.pk)
    _require_edit(by, record.contract)
    digest = hashlib.sha256()
    for chunk in scan.chunks():
        digest.update(chunk)
    scan.seek(0)
    record.scan = scan
    record.scan_sha256 = digest.hexdigest()
    record.save(update_fields=["scan", "scan_sha256"])
    audit_record(
        actor=by,
        action="contract.acceptance_scan_attached",
        obj=record,
        organisation=record.contract.customer_id,
        data={"name": record.scan.name, "sha256": record.scan_sha256},
    )
    return record


# -- the PDF -----------------------------------------------------------------------------


def acceptance_pdf_render(record: AcceptanceRecord) -> bytes:
    """The record in the familiar 验收记录单 layout (Chinese, A4), with both signatures
    (time, name, account) and the content's SHA-256. Unsigned records render marked
    as a draft."""
    from yiyun.notices.pdf import render_pdf

    signatures = {signature.party: signature for signature in record.signatures.all()}
    with translation.override("zh-hans"):
        html = render_to_string(
            "contracts/acceptance/pdf.html",
            {
                "record": record,
                "contract": record.contract,
                "criteria": record.criteria.order_by("position"),
                "customer_signature": signatures.get(Party.CUSTOMER),
                "provider_signature": signatures.get(Party.PROVIDER),
                "draft": len(signatures) < len(SIDES),
                "generated_at": clock.local(clock.now()),
            },
        )
    return render_pdf(html)


__all__ = [
    "RECTIFICATION_RULE",
    "acceptance_cloud_check",
    "acceptance_conclude",
    "acceptance_content_sha256",
    "acceptance_criteria_visible",
    "acceptance_criterion_add",
    "acceptance_criterion_record",
    "acceptance_pdf_render",
    "acceptance_pdf_verify",
    "acceptance_record_create",
    "acceptance_records_visible",
    "acceptance_rectification_complete",
    "acceptance_rectification_set",
    "acceptance_scan_attach",
    "acceptance_sign",
    "may_act_for",
    "may_edit",
    "may_sign",
    "side_of",
    "signers_for",
]
