"""Tenant-isolation cases of the acceptance (1.3) and billing pages and API (issue 10),
added to the contracts app's CASES by tests/isolation.py."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from yiyun.contracts.acceptance import (
    acceptance_conclude,
    acceptance_criterion_record,
    acceptance_record_create,
    acceptance_rectification_set,
    acceptance_scan_attach,
)
from yiyun.contracts.billing import finance_contact_add, statement_issue
from yiyun.contracts.tests.isolation import contract_of_a
from yiyun.core import clock
from yiyun.testing.isolation import Operation, Page


def _pk(w) -> dict:
    return {"pk": contract_of_a(w).pk}


def _params(w) -> dict:
    return {"contract_id": contract_of_a(w).pk}


def _local(moment) -> str:
    return f"{clock.local(moment):%Y-%m-%dT%H:%M}"


def _record(w, *, recorded=False, concluded=False, failing=False, rectifying=False):
    """An acceptance record of customer A's contract: a draft, with every result
    recorded, concluded (passed, or failed), or failed with a rectification deadline."""
    now = clock.now()
    record = acceptance_record_create(
        contract=contract_of_a(w),
        held_at=now - timedelta(hours=2),
        place="机房",
        customer_participants="信息科",
        provider_participants="客户经理",
        by="test",
    )
    if recorded or concluded or failing or rectifying:
        for criterion in record.criteria.all():
            fail = (failing or rectifying) and criterion.position == 1
            acceptance_criterion_record(
                criterion=criterion,
                measured="实测",
                passed=not fail,
                problems="未达标" if fail else "",
                by="test",
            )
    if concluded or failing or rectifying:
        acceptance_conclude(record=record, by="test")
    if rectifying:
        acceptance_rectification_set(record=record, due_at=now + timedelta(days=15), by="test")
    record.refresh_from_db()
    return record


def _record_pk(w, **kind) -> dict:
    return {"pk": _record(w, **kind).pk}


def _record_params(w, **kind) -> dict:
    return {"record_id": _record(w, **kind).pk}


def _with_scan(w) -> dict:
    record = _record(w)
    acceptance_scan_attach(
        record=record, scan=ContentFile(b"%PDF-1.4 scan", name="scan.pdf"), by="test"
    )
    return {"pk": record.pk}


def _today() -> str:
    return clock.local(clock.now()).date().isoformat()


def _statement(w) -> dict:
    contract = contract_of_a(w)
    issued = statement_issue(contract=contract, start=contract.start, end=contract.start, by="test")
    return {"pk": issued.pk}


def _contact(w) -> dict:
    contract = contract_of_a(w)
    finance_contact_add(contract=contract, person=w.admin_a.person, by="test")
    return {"pk": contract.pk}


def _pdf_upload(w) -> dict:
    return {"file": SimpleUploadedFile("copy.pdf", b"%PDF-1.4 copy", "application/pdf")}


def _new_record(w) -> dict:
    now = clock.now()
    return {
        "held_at": _local(now - timedelta(hours=1)),
        "place": "机房",
        "customer_participants": "信息科",
        "provider_participants": "客户经理",
    }


CASES = [
    Page("contracts:billing_index"),
    Page("contracts:acceptance_list", _pk),
    Page("contracts:acceptance_new", _pk, write=True, data=_new_record),
    Page("contracts:acceptance_detail", lambda w: _record_pk(w)),
    Page(
        "contracts:acceptance_criterion_add",
        lambda w: _record_pk(w),
        write=True,
        data=lambda w: {"item": "HIS 登录", "standard": "各卫生院可登录"},
    ),
    Page(
        "contracts:acceptance_criterion_record",
        lambda w: {"pk": _record(w).criteria.first().pk},
        write=True,
        data=lambda w: {"measured": "实测符合", "passed": "yes"},
    ),
    Page("contracts:acceptance_cloud_check", lambda w: _record_pk(w), write=True),
    Page(
        "contracts:acceptance_conclude",
        lambda w: {"pk": _record(w, recorded=True).pk},
        write=True,
    ),
    Page(
        "contracts:acceptance_sign",
        lambda w: _record_pk(w, concluded=True),
        write=True,
        data=lambda w: {"party": "customer"},
    ),
    Page(
        "contracts:acceptance_rectification",
        lambda w: _record_pk(w, failing=True),
        write=True,
        data=lambda w: {"due_at": _local(clock.now() + timedelta(days=15))},
    ),
    Page(
        "contracts:acceptance_rectification_done",
        lambda w: _record_pk(w, rectifying=True),
        write=True,
    ),
    Page(
        "contracts:acceptance_scan",
        lambda w: _record_pk(w),
        write=True,
        data=lambda w: {"scan": SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scan")},
    ),
    Page("contracts:acceptance_scan_file", _with_scan),
    Page("contracts:acceptance_pdf", lambda w: _record_pk(w)),
    Page(
        "contracts:acceptance_verify",
        lambda w: _record_pk(w, concluded=True),
        post=True,
        data=_pdf_upload,
    ),
    Page("contracts:billing", _pk),
    Page("contracts:billing_export", _pk),
    Page(
        "contracts:billing_statement_issue",
        _pk,
        write=True,
        data=lambda w: {"start": "2024-01-01", "end": "2024-12-31"},
    ),
    Page("contracts:billing_statement", _statement),
    Page(
        "contracts:billing_payment_add",
        lambda w: {"pk": contract_of_a(w).payment_schedule.first().pk},
        write=True,
        data=lambda w: {"amount": "100.00", "paid_on": _today(), "invoice_number": "65001"},
    ),
    Page(
        "contracts:billing_finance_contact_add",
        _pk,
        write=True,
        data=lambda w: {"person": w.admin_a.person.pk},
    ),
    Page(
        "contracts:billing_finance_contact_remove",
        _contact,
        write=True,
        data=lambda w: {"person": w.admin_a.person.pk},
    ),
    Page("contracts:billing_settlement", _pk),
    Page("contracts:billing_settlement_pdf", _pk),
    Operation("contracts_acceptance_list", _params),
    Operation(
        "contracts_acceptance_create",
        _params,
        write=True,
        body=lambda w: {
            "held_at": (clock.now() - timedelta(hours=1)).isoformat(),
            "place": "机房",
            "customer_participants": "信息科",
            "provider_participants": "客户经理",
        },
    ),
    Operation("contracts_acceptance_get", lambda w: _record_params(w)),
    Operation(
        "contracts_acceptance_criterion_add",
        lambda w: _record_params(w),
        write=True,
        body=lambda w: {"item": "HIS 登录", "standard": "各卫生院可登录"},
    ),
    Operation(
        "contracts_acceptance_criterion_record",
        lambda w: {"criterion_id": _record(w).criteria.first().pk},
        write=True,
        body=lambda w: {"measured": "实测符合", "passed": True},
    ),
    Operation("contracts_acceptance_cloud_check", lambda w: _record_params(w), write=True),
    Operation(
        "contracts_acceptance_conclude",
        lambda w: {"record_id": _record(w, recorded=True).pk},
        write=True,
    ),
    Operation(
        "contracts_acceptance_sign",
        lambda w: _record_params(w, concluded=True),
        write=True,
        body=lambda w: {"party": "customer"},
    ),
    Operation(
        "contracts_acceptance_rectification_set",
        lambda w: _record_params(w, failing=True),
        write=True,
        body=lambda w: {"due_at": (clock.now() + timedelta(days=15)).isoformat()},
    ),
    Operation(
        "contracts_acceptance_rectification_complete",
        lambda w: _record_params(w, rectifying=True),
        write=True,
    ),
    Operation(
        "contracts_acceptance_verify",
        lambda w: _record_params(w),
        query=lambda w: {"sha256": "0" * 64},
    ),
    Operation(
        "contracts_billing_statement_get",
        _params,
        query=lambda w: {"start": "2024-01-01", "end": "2024-12-31"},
    ),
    Operation("contracts_billing_statement_list", _params),
    Operation(
        "contracts_billing_statement_issue",
        _params,
        write=True,
        body=lambda w: {"start": "2024-01-01", "end": "2024-12-31"},
    ),
    Operation("contracts_billing_schedule", _params),
    Operation(
        "contracts_billing_payment_add",
        _params,
        write=True,
        body=lambda w: {
            "schedule_item": contract_of_a(w).payment_schedule.first().pk,
            "amount": "100.00",
            "paid_on": _today(),
            "invoice_number": "65001",
        },
    ),
    Operation("contracts_billing_arrears", _params),
    Operation("contracts_billing_settlement", _params),
    Operation("contracts_billing_finance_contact_list", _params),
    Operation(
        "contracts_billing_finance_contact_add",
        _params,
        write=True,
        body=lambda w: {"person": w.admin_a.person.pk},
    ),
]
