from yiyun.contracts.tests.isolation import contract_of_a
from yiyun.core import clock
from yiyun.obligations.services import obligation_open, obligation_pause
from yiyun.testing.isolation import Operation, Page


def _open(world, clause: str = "2.2"):
    return obligation_open(contract=contract_of_a(world), clause=clause, trigger_at=clock.now())


def _pk(world) -> dict:
    return {"pk": _open(world).pk}


def _id(world, clause: str = "2.2") -> dict:
    return {"obligation_id": _open(world, clause).pk}


def _paused(world) -> dict:
    obligation = obligation_pause(
        obligation=_open(world, "4.2.complex"), by="test", reason="等待甲方"
    )
    return {"obligation_id": obligation.pk}


CASES = [
    Page("obligations:list"),
    Page("obligations:panel"),
    Page("obligations:detail", _pk),
    Page(
        "obligations:action", _pk, write=True, data=lambda w: {"action": "meet", "text": "已处理"}
    ),
    Page("obligations:contract_clauses", lambda w: {"pk": contract_of_a(w).pk}),
    Operation("obligations_obligation_list", marker=lambda w: contract_of_a(w).number),
    Operation("obligations_rule_list"),
    Operation("obligations_obligation_get", _id),
    Operation("obligations_event_list", _id),
    Operation(
        "obligations_obligation_meet_op", _id, write=True, body=lambda w: {"evidence": "已处理"}
    ),
    Operation(
        "obligations_obligation_waive_op", _id, write=True, body=lambda w: {"reason": "甲方同意"}
    ),
    Operation(
        "obligations_obligation_pause_op",
        lambda w: _id(w, "4.2.complex"),
        write=True,
        body=lambda w: {"reason": "等待甲方提供信息"},
    ),
    Operation(
        "obligations_obligation_resume_op", _paused, write=True, body=lambda w: {"reason": "已收到"}
    ),
]
