from datetime import timedelta

from django.core.files.base import ContentFile

from yiyun.contracts.choices import NoticeKind
from yiyun.contracts.services import notice_record
from yiyun.contracts.tests.factories import seed_contract
from yiyun.core import clock
from yiyun.testing.isolation import Operation, Page


def contract_of_a(world):
    """The seed contract between world.provider and customer A (one per test)."""
    if not hasattr(world, "contract"):
        world.contract = seed_contract(world)
    return world.contract


def _pk(world) -> dict:
    return {"pk": contract_of_a(world).pk}


def _params(world) -> dict:
    return {"contract_id": contract_of_a(world).pk}


def _an_hour_ago() -> str:
    return f"{clock.local(clock.now() - timedelta(hours=1)):%Y-%m-%dT%H:%M}"


def _today() -> str:
    return clock.local(clock.now()).date().isoformat()


def _notice_11_2(world) -> dict:
    notice = notice_record(
        contract=contract_of_a(world),
        kind=NoticeKind.TERMINATION_11_2,
        from_party="provider",
        sender="乙方",
        recipient="甲方",
        delivered_at=clock.now() - timedelta(hours=2),
        by="test",
    )
    return {"pk": notice.pk}


def _notice_with_document(world) -> dict:
    notice = notice_record(
        contract=contract_of_a(world),
        kind=NoticeKind.NON_RENEWAL,
        from_party="customer",
        sender="甲方",
        recipient="乙方",
        delivered_at=clock.now() - timedelta(hours=2),
        document=ContentFile(b"%PDF-1.4 test", name="non-renewal.pdf"),
        by="test",
    )
    return {"pk": notice.pk}


def _schedule_item(world):
    return contract_of_a(world).payment_schedule.first()


def _parameter(world):
    return contract_of_a(world).open_parameters.get(key="buffer_period_days")


CASES = [
    Page("contracts:list"),
    Page("contracts:detail", _pk),
    Page(
        "contracts:notice_add",
        _pk,
        write=True,
        data=lambda w: {
            "kind": "non_renewal",
            "from_party": "customer",
            "sender": "信息科",
            "recipient": "客户经理",
            "delivered_at": _an_hour_ago(),
        },
    ),
    Page(
        "contracts:notice_consent",
        _notice_11_2,
        write=True,
        data=lambda w: {"consent_at": _an_hour_ago(), "consent_by": "院长"},
    ),
    Page("contracts:notice_document", _notice_with_document),
    Page(
        "contracts:payment_add",
        lambda w: {"pk": _schedule_item(w).pk},
        write=True,
        data=lambda w: {"amount": "100.00", "paid_on": _today()},
    ),
    Page(
        "contracts:parameter_set",
        lambda w: {"pk": _parameter(w).pk},
        write=True,
        data=lambda w: {"value": "30"},
    ),
    Page("contracts:shift_add", _pk, write=True, data=lambda w: {"days": "10", "reason": "整改期"}),
    Page(
        "contracts:penalty_add",
        _pk,
        write=True,
        data=lambda w: {"rule": "5.2", "liable_party": "provider"},
    ),
    Operation("contracts_contract_list", marker=lambda w: contract_of_a(w).number),
    Operation("contracts_contract_get", _params),
    Operation("contracts_contract_findings_list", _params),
    Operation("contracts_payment_list", _params),
    Operation(
        "contracts_payment_add",
        _params,
        write=True,
        body=lambda w: {
            "schedule_item": _schedule_item(w).pk,
            "amount": "100.00",
            "paid_on": _today(),
        },
    ),
    Operation("contracts_ledger_get", _params),
    Operation("contracts_notice_list", _params),
    Operation(
        "contracts_notice_add",
        _params,
        write=True,
        body=lambda w: {
            "kind": "non_renewal",
            "from_party": "customer",
            "sender": "信息科",
            "recipient": "客户经理",
            "delivered_at": (clock.now() - timedelta(hours=1)).isoformat(),
        },
    ),
    Operation("contracts_parameter_list", _params),
    Operation(
        "contracts_parameter_set",
        lambda w: {**_params(w), "key": "buffer_period_days"},
        write=True,
        body=lambda w: {"value": "30"},
    ),
    Operation("contracts_prorata_get", _params),
]


# -- contract import (issue 11) --------------------------------------------------------------


def _import_text(world) -> str:
    """The seed contract's text with world.provider as 乙方 (customer A is the seed's 甲方)."""
    from yiyun.contracts.tests.import_samples import replaced, seed_text

    return replaced(seed_text(), ("中国联合网络通信有限公司阿克苏地区分公司", world.provider.name))


def draft_of_a(world, *, checked: bool = False):
    """A draft naming customer A and world.provider (one per test), checked if asked."""
    from yiyun.contracts.importer.services import contract_draft_check, contract_draft_create

    if not hasattr(world, "draft"):
        world.draft = contract_draft_create(
            name="isolation-a.txt", content=_import_text(world).encode("utf-8"), by="test"
        )
    if checked:
        contract_draft_check(draft=world.draft, by="test")
    return world.draft


def _draft_pk(world) -> dict:
    return {"pk": draft_of_a(world).pk}


def _checked_draft_pk(world) -> dict:
    return {"pk": draft_of_a(world, checked=True).pk}


def _draft_params(world) -> dict:
    return {"draft_id": draft_of_a(world).pk}


def _checked_draft_params(world) -> dict:
    return {"draft_id": draft_of_a(world, checked=True).pk}


def _upload(world) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("c.txt", _import_text(world).encode("utf-8"))}


CASES += [
    Page("contracts:import_list"),
    Page("contracts:import_new", write=True, data=_upload),
    Page("contracts:import_review", _draft_pk),
    Page("contracts:import_save", _draft_pk, write=True),
    Page(
        "contracts:import_approve",
        _checked_draft_pk,
        write=True,
        data=lambda w: {"acknowledged": "1"},
    ),
    Page("contracts:import_reject", _draft_pk, write=True, data=lambda w: {"reason": "重复"}),
    Page("contracts:import_json", _draft_pk),
    Operation(
        "contracts_import_draft_create",
        write=True,
        body=lambda w: {"filename": "c.txt", "text": _import_text(w)},
    ),
    Operation("contracts_import_draft_list", marker=lambda w: draft_of_a(w).source_name),
    Operation("contracts_import_draft_get", _draft_params),
    Operation("contracts_import_draft_document", _draft_params),
    Operation(
        "contracts_import_draft_update",
        _draft_params,
        write=True,
        body=lambda w: {"data": {**draft_of_a(w).data, "title": "医疗云服务合同"}},
    ),
    Operation("contracts_import_draft_check", _draft_params, write=True),
    Operation(
        "contracts_import_draft_approve",
        _checked_draft_params,
        write=True,
        body=lambda w: {"acknowledged": True},
    ),
    Operation(
        "contracts_import_draft_reject",
        _draft_params,
        write=True,
        body=lambda w: {"reason": "重复"},
    ),
]

# -- acceptance (1.3) and billing (issue 10): cases in isolation_billing.py ---------------------
from yiyun.contracts.tests.isolation_billing import CASES as BILLING_CASES  # noqa: E402

CASES += BILLING_CASES
