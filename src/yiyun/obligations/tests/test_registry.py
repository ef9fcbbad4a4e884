"""The registry: one rule per clause with a clock; later apps register their own."""

import pytest
from django.utils.translation import gettext_lazy as _

from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.errors import DomainError
from yiyun.obligations import registry
from yiyun.obligations.registry import ClauseRule, register, rule_for
from yiyun.obligations.services import obligation_open
from yiyun.obligations.tests.helpers import at, bj

# CLAUSES.md, "Duties with clocks" (4.5 and 5.3 have no clock).
CLOCKED = [
    "2.1",
    "2.2",
    "2.3",
    "2.10",
    "3.6",
    "3.7",
    "4.2.complex",
    "4.2.special",
    "4.4",
    "8.1.1",
    "11.1",
    "11.2",
]


def test_every_clause_with_a_clock_has_a_rule():
    for key in CLOCKED:
        rule = rule_for(key)
        assert rule.title and rule.bound in ("customer", "provider", "either")
    assert rule_for("2.2").penalty == "5.1" and not rule_for("2.2").pausable
    assert rule_for("4.2.complex").pausable


def test_an_unknown_clause_is_refused_naming_the_known_ones():
    with pytest.raises(DomainError) as refused:
        rule_for("9.9")
    assert refused.value.field == "clause" and "2.2" in refused.value.message


def test_another_app_registers_its_own_rule(world, monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))
    register(
        ClauseRule(
            key="7.test",
            clause="7",
            title=_("ICP 备案到期前更新"),
            clock="days",
            n=30,
            before=True,
            bound="customer",
            penalty="",
        )
    )
    with pytest.raises(ValueError):
        register(ClauseRule(key="7.test", clause="7", title="x", clock="days", n=1))
    with at(2026, 1, 5, 9):
        contract = seed_contract(world)
        filing = obligation_open(
            contract=contract, clause="7.test", trigger_at=bj(2026, 6, 30, 0, 0)
        )
    # 30 whole days (05-31 .. 06-29) must lie between the act and 2026-06-30 00:00:
    # due by 24:00 of 05-30.
    assert filing.due_at == bj(2026, 5, 31, 0, 0)


def test_a_rule_is_checked_when_declared():
    with pytest.raises(ValueError):
        ClauseRule(key="x", clause="x", title="x", clock="fortnights", n=1)
    with pytest.raises(ValueError):
        ClauseRule(key="x", clause="x", title="x", clock="hours")
