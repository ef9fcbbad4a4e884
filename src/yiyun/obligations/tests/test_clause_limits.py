"""A contract that writes a clock differently from the template runs its own clock."""

from datetime import datetime, timedelta

import pytest
import yaml

from yiyun.contracts.dataformat import ContractDataError
from yiyun.contracts.services import contract_load
from yiyun.core.clock import SHANGHAI
from yiyun.obligations.services import obligation_open
from yiyun.portal.demo import SEED_CONTRACT


def _seed(**changes) -> dict:
    data = yaml.safe_load(SEED_CONTRACT.read_text(encoding="utf-8"))
    return {**data, **changes}


@pytest.mark.django_db
def test_clause_2_2_a_contract_with_a_12_hour_fault_limit_runs_12_hours():
    contract, _created = contract_load(
        data=_seed(number="X-12H", clause_limits={"2.2": {"clock": "hours", "n": 12}}),
        by="test",
    )
    reported = datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI)
    fault = obligation_open(contract=contract, clause="2.2", trigger_at=reported)
    assert fault.due_at == reported + timedelta(hours=12)
    assert fault.limit == 12
    # The same clause of the seed contract keeps the registry's 24 h.
    seed, _created = contract_load(data=_seed(), by="test")
    assert obligation_open(contract=seed, clause="2.2", trigger_at=reported).due_at == (
        reported + timedelta(hours=24)
    )


@pytest.mark.django_db
def test_clause_limits_must_name_a_clause_with_a_clock():
    with pytest.raises(ContractDataError) as refused:
        contract_load(
            data=_seed(number="X-BAD", clause_limits={"9.9": {"clock": "hours", "n": 1}}),
            by="test",
        )
    assert "clause_limits.9.9: no clause with a clock of its own" in str(refused.value.errors)
    with pytest.raises(ContractDataError) as refused:
        contract_load(
            data=_seed(number="X-BAD", clause_limits={"2.2": {"clock": "weeks", "n": 1}}),
            by="test",
        )
    assert "clause_limits.2.2.clock" in str(refused.value.errors)
