"""Maintenance notices (4.4): routine at least 24 h before the start, through the
obligations engine; emergency as soon as possible, with its reason recorded."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from yiyun.core.clock import SHANGHAI
from yiyun.core.errors import DomainError
from yiyun.notices.choices import ChannelKind, NoticeKind
from yiyun.notices.models import MaintenanceWindow
from yiyun.notices.panels import maintenance_panel
from yiyun.notices.selectors import maintenance_windows
from yiyun.notices.services import notice_issue, notice_send
from yiyun.notices.tests.factories import a_contract, a_maintenance
from yiyun.obligations.services import tick

START = datetime(2026, 6, 10, 22, 0, tzinfo=SHANGHAI)  # the window opens at 22:00
END = START + timedelta(hours=4)


@pytest.fixture
def contract(world):
    with time_machine.travel(START - timedelta(days=30), tick=False):
        return a_contract(world)


def _routine(world, *, send=True, **extra):
    return a_maintenance(world, starts_at=START, ends_at=END, send=send, **extra)


def test_clause_4_4_latest_send_time_is_24_hours_before_the_start(world, contract):
    with time_machine.travel(START - timedelta(days=3), tick=False):
        notice = _routine(world, send=False)
    assert notice.latest_send_at == START - timedelta(hours=24)
    (obligation,) = notice.obligations.all()
    assert (obligation.clause, obligation.contract, obligation.state) == ("4.4", contract, "open")
    assert obligation.trigger_at == START
    assert obligation.due_at == START - timedelta(hours=24)
    assert obligation.subject == notice


def test_clause_4_4_routine_notice_sent_23_hours_before_is_a_breach(world, contract):
    sent_at = START - timedelta(hours=23)
    with time_machine.travel(sent_at, tick=False):
        notice = _routine(world, acknowledge_late=True)
    notice.refresh_from_db()
    assert notice.sent_at == notice.delivered_at == sent_at
    (obligation,) = notice.obligations.all()
    assert obligation.state == "breached"
    assert obligation.breached_at == START - timedelta(hours=24)
    assert obligation.met_at == sent_at  # late performance, recorded as such
    assert list(obligation.events.values_list("kind", flat=True)) == [
        "opened",
        "breached",
        "met_late",
    ]
    # 5.1's penalty follows from the breach (on each candidate base until settled).
    assert contract.penalties.filter(clause="4.4").exists()


def test_clause_4_4_routine_notice_sent_25_hours_before_is_met(world, contract):
    sent_at = START - timedelta(hours=25)
    with time_machine.travel(sent_at, tick=False):
        notice = _routine(world)
    (obligation,) = notice.obligations.all()
    assert obligation.state == "met"
    assert obligation.met_at == sent_at
    assert not contract.penalties.filter(clause="4.4").exists()


def test_clause_4_4_late_routine_notice_warns_and_needs_acknowledgement(world, contract):
    with time_machine.travel(START - timedelta(days=2), tick=False):
        notice = _routine(world, send=False)
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        with pytest.raises(DomainError) as refused:
            notice_send(notice=notice, by=world.provider_admin)
        assert refused.value.code == "late_notice"
        assert "2026-06-09 22:00" in refused.value.message  # the latest send time, Beijing
        notice.refresh_from_db()
        assert notice.sent_at is None and not notice.deliveries.exists()
        notice_send(notice=notice, by=world.provider_admin, acknowledge_late=True)
    assert notice.obligations.get().state == "breached"


def test_clause_4_4_draft_not_sent_in_time_is_breached_by_the_tick(world, contract):
    with time_machine.travel(START - timedelta(days=2), tick=False):
        notice = _routine(world, send=False)
    tick(now=START - timedelta(hours=24, minutes=1))
    assert notice.obligations.get().state == "open"
    tick(now=START - timedelta(hours=24))
    assert notice.obligations.get().state == "breached"


def test_clause_4_4_emergency_maintenance_needs_a_reason(world, contract):
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        fields = {
            "by": world.provider_admin,
            "kind": NoticeKind.EMERGENCY_MAINTENANCE,
            "subject": "核心交换机紧急更换",
            "body": "核心交换机板卡故障，需紧急更换。",
            "channels": [ChannelKind.INBOX],
            "audience_organisations": [world.customer_a],
        }
        with pytest.raises(DomainError) as refused:
            notice_issue(**fields, window={"starts_at": START, "ends_at": END})
        assert refused.value.field == "emergency_reason"
        notice = notice_issue(
            **fields,
            window={"starts_at": START, "ends_at": END, "emergency_reason": "板卡故障告警"},
        )
    assert notice.window.emergency_reason == "板卡故障告警"
    # As soon as possible: no 24 h clock, so no obligation and no breach.
    assert notice.latest_send_at is None
    assert not notice.obligations.exists()
    assert world.admin_a.person.inbox.filter(body__contains="紧急维护原因：板卡故障告警").exists()


def test_maintenance_comes_only_from_a_provider(world):
    with pytest.raises(DomainError):
        a_maintenance(world, starts_at=START, ends_at=END, by=world.admin_a)


def test_window_must_end_after_it_starts(world):
    with pytest.raises(DomainError) as refused:
        a_maintenance(world, starts_at=START, ends_at=START)
    assert refused.value.field == "ends_at"


def _panel(user) -> str:
    # The dashboard panel this app registers (portal's dashboard renders every app's).
    request = RequestFactory().get("/")
    request.user = user
    return str(maintenance_panel(request))


def test_running_and_upcoming_windows_on_dashboard_and_site_page(world, login, contract):
    with time_machine.travel(START - timedelta(days=2), tick=False):
        notice = _routine(world, window={"affected_sites": [world.site_a2]})
        draft = _routine(world, send=False, subject="尚未发出的维护")
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        assert list(maintenance_windows(world.admin_a)) == [notice.window]
        assert list(maintenance_windows(world.admin_b)) == []
        page = _panel(world.admin_a)
        assert "云平台例行维护" in page and "即将开始" in page
        assert draft.subject not in page
        site_page = login(world.member_a).get(
            reverse("notices:maintenance") + f"?site={world.site_a2.pk}"
        )
        assert "云平台例行维护" in site_page.content.decode()
        assert "云平台例行维护" not in _panel(world.admin_b)
        assert (
            login(world.admin_b)
            .get(reverse("notices:maintenance") + f"?site={world.site_a2.pk}")
            .status_code
            == 404
        )
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert "进行中" in login(world.admin_a).get(reverse("notices:maintenance")).content.decode()
    with time_machine.travel(END, tick=False):
        assert not maintenance_windows(world.admin_a).exists()
    assert MaintenanceWindow.objects.count() == 2
