"""Helpers of the acceptance (1.3) and billing tests: a round of acceptance driven through
its services, as the two sides would on the platform."""

from yiyun.contracts.acceptance import (
    acceptance_conclude,
    acceptance_criterion_record,
    acceptance_record_create,
    acceptance_sign,
)
from yiyun.obligations.tests.helpers import at, bj


def acceptance_round(contract, world, *, day, failing=(), sign=True, **fields):
    """Hold a round of acceptance on `day` (y, m, d) at 09:00 Beijing time: every
    criterion passes except the positions in `failing`; concluded at 11:00 by the
    customer's admin; signed at 11:30 by both admins (unless `sign` is False)."""
    y, m, d = day
    with at(y, m, d, 10):
        record = acceptance_record_create(
            contract=contract,
            held_at=bj(y, m, d, 9),
            place="柯坪县人民医院信息科机房",
            customer_participants="信息科 李主任、王工",
            provider_participants="客户经理 张经理、工程师 赵工",
            by=world.admin_a,
            **fields,
        )
        for criterion in record.criteria.all():
            passed = criterion.position not in failing
            acceptance_criterion_record(
                criterion=criterion,
                measured="实测符合" if passed else "实测带宽 60 Mbit/s",
                passed=passed,
                problems="" if passed else "电路带宽未达到 100 Mbit/s",
                by=world.provider_admin,
            )
    with at(y, m, d, 11):
        acceptance_conclude(record=record, by=world.admin_a)
    if sign:
        with at(y, m, d, 11, 30):
            acceptance_sign(record=record, party="customer", by=world.admin_a)
            acceptance_sign(record=record, party="provider", by=world.provider_admin)
    record.refresh_from_db()
    return record
