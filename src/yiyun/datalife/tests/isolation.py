from yiyun.datalife.tests.factories import (
    a_data_set,
    a_deletion_record,
    a_disclosure,
    a_policy,
    a_ready_export,
    a_run,
    a_service_end,
    isolated_dirs,
)
from yiyun.testing.isolation import Operation, Page


def _disclosure_a(world) -> dict:
    return {"pk": a_disclosure(world.customer_a).pk}


def _disclosure_a_id(world) -> dict:
    return {"disclosure_id": a_disclosure(world.customer_a).pk}


def _data_set_a(world) -> dict:
    isolated_dirs()
    return {"pk": a_data_set(world.customer_a).pk}


def _policy_a(world) -> dict:
    return {"pk": a_policy(world.customer_a).pk}


def _run_a(world) -> dict:
    return {"pk": a_run(world.customer_a).pk}


def _new_data_set(world) -> dict:
    isolated_dirs()
    return {"organisation": world.customer_a.pk, "name": "PACS", "path": "pacs"}


def _new_policy(world) -> dict:
    data_set = a_data_set(world.customer_a, name="LIS")
    return {
        "organisation": world.customer_a.pk,
        "name": "每周",
        "data_sets": [data_set.pk],
        "interval_hours": 168,
        "keep_daily": 0,
        "keep_weekly": 4,
        "keep_monthly": 3,
    }


def _new_service_end(world) -> dict:
    from yiyun.contracts.tests.factories import seed_contract

    return {"contract": seed_contract(world).pk, "reason": "arrears", "buffer_days": 30}


CASES = [
    # 6.3: the disclosure register
    Page("datalife:disclosures"),
    Page("datalife:disclosure", _disclosure_a),
    Page(
        "datalife:disclosure_annotate",
        _disclosure_a,
        write=True,
        data=lambda w: {"text": "已核对"},
    ),
    Operation(
        "datalife_disclosure_list",
        marker=lambda w: a_disclosure(w.customer_a, authority="阿克苏地区公安局").authority,
    ),
    Operation("datalife_disclosure_get", _disclosure_a_id),
    Operation(
        "datalife_disclosure_annotation_add",
        _disclosure_a_id,
        write=True,
        body=lambda w: {"text": "已核对"},
    ),
    # 2.11, 6.4: backups
    Page("datalife:backups"),
    Page("datalife:data_set_new", write=True, data=_new_data_set),
    Page("datalife:data_set", _data_set_a),
    Page(
        "datalife:data_set_item_delete",
        _data_set_a,
        write=True,
        data=lambda w: {"path": "no-such-file.csv"},
    ),
    Page("datalife:policy_new", write=True, data=_new_policy),
    Page("datalife:policy", _policy_a),
    Page(
        "datalife:policy_update",
        _policy_a,
        write=True,
        data=lambda w: {
            "interval_hours": 12,
            "keep_daily": 14,
            "keep_weekly": 4,
            "keep_monthly": 6,
            "enabled": "on",
        },
    ),
    Page("datalife:policy_run", _policy_a, write=True),
    Page("datalife:runs"),
    Page("datalife:run_drill", _run_a, write=True),
    Page("datalife:drills"),
    Operation("datalife_data_set_list", marker=lambda w: a_data_set(w.customer_a, "门诊影像").name),
    Operation("datalife_data_set_get", lambda w: {"data_set_id": a_data_set(w.customer_a).pk}),
    Operation("datalife_policy_list", marker=lambda w: a_policy(w.customer_a, "甲方每日").name),
    Operation("datalife_policy_get", lambda w: {"policy_id": a_policy(w.customer_a).pk}),
    Operation(
        "datalife_policy_change",
        lambda w: {"policy_id": a_policy(w.customer_a).pk},
        write=True,
        body=lambda w: {"keep_daily": 10},
    ),
    Operation(
        "datalife_run_list",
        marker=lambda w: a_run(w.customer_a, "a1b2c3" * 10 + "d4e5").snapshot_id,
    ),
    Operation("datalife_drill_add", lambda w: {"run_id": a_run(w.customer_a).pk}, write=True),
    Operation("datalife_drill_list"),
    # 6.5, 6.6: end of service, exports, deletion records
    Page("datalife:service_ends"),
    Page("datalife:service_end_new", write=True, data=_new_service_end),
    Page("datalife:service_end", lambda w: {"pk": a_service_end(w).pk}),
    Page("datalife:exports"),
    Page("datalife:export_new", write=True, data=lambda w: {"organisation": w.customer_a.pk}),
    Page("datalife:export_download", lambda w: {"pk": a_ready_export(w.customer_a).pk}),
    Page("datalife:deletion_record", lambda w: {"pk": a_deletion_record(w).pk}),
    Page("datalife:deletion_record_pdf", lambda w: {"pk": a_deletion_record(w).pk}),
    Operation("datalife_service_end_list"),
    Operation("datalife_service_end_get", lambda w: {"service_end_id": a_service_end(w).pk}),
    Operation("datalife_export_list"),
    Operation(
        "datalife_export_add",
        write=True,
        body=lambda w: {"organisation": w.customer_a.pk},
    ),
    Operation("datalife_deletion_record_get", lambda w: {"record_id": a_deletion_record(w).pk}),
]
