"""`yiyun tick [--at ISO]`."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yiyun.contracts.tests.factories import seed_contract
from yiyun.obligations.models import Obligation, TickState
from yiyun.obligations.services import obligation_open
from yiyun.obligations.tests.helpers import at, bj


def test_tick_at_an_iso_moment(world):
    with at(2026, 3, 10, 22, 30):
        contract = seed_contract(world)
        fault = obligation_open(contract=contract, clause="2.2", trigger_at=bj(2026, 3, 10, 22, 30))
        out = StringIO()
        call_command("tick", "--at", "2026-03-11T22:30:00+08:00", stdout=out)
    report = json.loads(out.getvalue())
    assert report["breached"] == 1
    fault.refresh_from_db()
    assert fault.state == "breached"
    assert TickState.objects.get().last_tick_at == bj(2026, 3, 11, 22, 30)


def test_tick_at_without_offset_is_beijing_time_and_never_goes_back(world):
    with at(2026, 3, 12, 9):
        call_command("tick", "--at", "2026-03-12T08:00", stdout=StringIO())
        assert TickState.objects.get().last_tick_at == bj(2026, 3, 12, 8)
        with pytest.raises(CommandError, match="2026-03-12T07:00"):
            call_command("tick", "--at", "2026-03-12T07:00", stdout=StringIO())
        with pytest.raises(CommandError, match="ISO"):
            call_command("tick", "--at", "tomorrow", stdout=StringIO())


def test_tick_without_at_uses_the_clock(world):
    with at(2026, 3, 12, 9):
        call_command("tick", stdout=StringIO())
    assert TickState.objects.get().last_tick_at == bj(2026, 3, 12, 9)
    assert not Obligation.objects.exists()
