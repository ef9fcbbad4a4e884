from datetime import timedelta

from yiyun.cloud.choices import ChangeKind
from yiyun.cloud.models import ChangeRequest, OveruseFinding
from yiyun.cloud.services import (
    change_request_approve,
    change_request_create,
    sample_record,
)
from yiyun.cloud.tests.factories import (
    a_catalogue,
    a_host,
    a_server,
    contract_for,
    keep_test_driver,
    unique_name,
)
from yiyun.core import clock
from yiyun.testing.isolation import Operation, Page


def _contract(w):
    keep_test_driver(w)  # the test driver keeps its state while the world lives
    a_host(w.provider, pool=False)
    return contract_for(w.customer_a, w.provider)


def _server(w):
    return a_server(_contract(w), a_host(w.provider, pool=False))


def _change(w, *, kind=ChangeKind.CUSTOMER_1_3, approved=False) -> ChangeRequest:
    contract = _contract(w)
    a_catalogue(w.provider)
    if kind == ChangeKind.PROVIDER_3_7:
        return change_request_create(
            contract=contract,
            kind=kind,
            title="备份方式调整为异地备份",
            planned_at=clock.now() + timedelta(days=7),
            by=w.provider_admin,
        )
    change = change_request_create(
        contract=contract,
        kind=kind,
        title="增加 8 核 vCPU",
        items=[{"resource": "vcpu", "quantity": 8}],
        by=w.admin_a,
    )
    if approved:
        change_request_approve(change=change, by=w.provider_admin)
    return change


def _finding(w) -> OveruseFinding:
    contract = _contract(w)
    start = clock.now() - timedelta(hours=2)
    for minute in range(0, 40, 5):
        sample_record(contract=contract, at=start + timedelta(minutes=minute), cpu=960)
    return OveruseFinding.objects.filter(contract=contract).latest("pk")


def _server_data(w):
    return {
        "contract": _contract(w).pk,
        "name": unique_name("page"),
        "vcpu": 1,
        "memory_gib": 1,
        "system_disk_gib": 10,
        "business_kind": "his",
    }


def _change_data(w):
    return {"contract": _contract(w).pk, "kind": "customer_1_3", "title": "扩容", "vcpu": 2}


CASES = [
    Page("cloud:overview"),
    Page("cloud:contract", lambda w: {"pk": _contract(w).pk}),
    Page(
        "cloud:import",
        lambda w: {"pk": _contract(w).pk},
        write=True,
        data=lambda w: {"host": a_host(w.provider, pool=False).pk, "names": "none-such"},
    ),
    Page("cloud:servers"),
    Page("cloud:server_new", write=True, data=_server_data),
    Page("cloud:server", lambda w: {"pk": _server(w).pk}),
    Page(
        "cloud:server_resize",
        lambda w: {"pk": _server(w).pk},
        write=True,
        data=lambda w: {"vcpu": 1, "memory_gib": 2},
    ),
    Page(
        "cloud:server_power",
        lambda w: {"pk": _server(w).pk},
        write=True,
        data=lambda w: {"action": "stop"},
    ),
    Page("cloud:server_delete", lambda w: {"pk": _server(w).pk}, write=True),
    Page("cloud:hosts"),
    Page(
        "cloud:host_new",
        write=True,
        data=lambda w: {"name": unique_name("kvm"), "uri": "test:///default"},
    ),
    Page("cloud:changes"),
    Page("cloud:change_new", write=True, data=_change_data),
    Page("cloud:change", lambda w: {"pk": _change(w).pk}),
    Page("cloud:change_approve", lambda w: {"pk": _change(w).pk}, write=True),
    Page("cloud:change_reject", lambda w: {"pk": _change(w).pk}, write=True),
    Page("cloud:change_withdraw", lambda w: {"pk": _change(w).pk}, write=True),
    Page("cloud:change_apply", lambda w: {"pk": _change(w, approved=True).pk}, write=True),
    Page("cloud:catalogue"),
    Page(
        "cloud:price_new",
        write=True,
        data=lambda w: {
            "new_catalogue": "2027 目录",
            "resource": "vcpu",
            "unit_price": "55",
            "period": "month",
            "valid_from": "2027-01-01",
        },
    ),
    Page("cloud:findings"),
    Page("cloud:finding", lambda w: {"pk": _finding(w).pk}),
    Page(
        "cloud:finding_respond",
        lambda w: {"pk": _finding(w).pk},
        write=True,
        data=lambda w: {"response": "年终结算批处理，已错峰"},
    ),
    Page(
        "cloud:finding_measure",
        lambda w: {"pk": _finding(w).pk},
        write=True,
        data=lambda w: {"measure": "限制 CPU 配额"},
    ),
    Page("cloud:finding_close", lambda w: {"pk": _finding(w).pk}, write=True),
    Operation("cloud_capacity_get", lambda w: {"contract_id": _contract(w).pk}),
    Operation("cloud_sample_list", lambda w: {"contract_id": _contract(w).pk}),
    Operation("cloud_server_list", marker=lambda w: _server(w).name),
    Operation("cloud_server_get", lambda w: {"server_id": _server(w).pk}),
    Operation(
        "cloud_server_add",
        write=True,
        body=lambda w: {
            "contract": _contract(w).pk,
            "name": unique_name("api"),
            "vcpu": 1,
            "memory_gib": 1,
            "system_disk_gib": 10,
            "data_disks_gib": [20],
            "business_system": "HIS",
        },
    ),
    Operation(
        "cloud_server_resize",
        lambda w: {"server_id": _server(w).pk},
        write=True,
        body=lambda w: {"vcpu": 1, "memory_gib": 2},
    ),
    Operation(
        "cloud_server_power",
        lambda w: {"server_id": _server(w).pk},
        write=True,
        body=lambda w: {"action": "stop"},
    ),
    Operation("cloud_server_delete", lambda w: {"server_id": _server(w).pk}, write=True),
    Operation("cloud_change_list", marker=lambda w: _change(w).title),
    Operation("cloud_change_get", lambda w: {"change_id": _change(w).pk}),
    Operation(
        "cloud_change_add",
        write=True,
        body=lambda w: (
            {
                "contract": _contract(w).pk,
                "kind": "customer_1_3",
                "title": "增加内存",
                "items": [{"resource": "memory", "quantity": "16"}],
            }
            if a_catalogue(w.provider)
            else {}
        ),
    ),
    # The other side agrees: here the customer consents to the provider's 3.7 change.
    Operation(
        "cloud_change_approve",
        lambda w: {"change_id": _change(w, kind=ChangeKind.PROVIDER_3_7).pk},
        write=True,
        body=lambda w: {"note": "同意"},
    ),
    Operation(
        "cloud_change_reject",
        lambda w: {"change_id": _change(w, kind=ChangeKind.PROVIDER_3_7).pk},
        write=True,
        body=lambda w: {"note": "不同意"},
    ),
    Operation(
        "cloud_change_apply",
        lambda w: {"change_id": _change(w, approved=True).pk},
        write=True,
    ),
    # A provider's catalogue is seen by every customer it serves: no per-customer marker.
    Operation("cloud_price_list"),
    Operation("cloud_finding_list", marker=lambda w: f'"id": {_finding(w).pk}'),
    Operation("cloud_finding_get", lambda w: {"finding_id": _finding(w).pk}),
    Operation(
        "cloud_finding_respond",
        lambda w: {"finding_id": _finding(w).pk},
        write=True,
        body=lambda w: {"response": "年终结算批处理"},
    ),
]
