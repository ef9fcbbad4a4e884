"""The new-ticket form and the live countdown in a real Chromium on a phone-sized screen
(390×844): no horizontal scrolling, no CSP breakage, nothing fetched from outside."""

from datetime import timedelta

import pytest
import time_machine

from yiyun.contracts.tests.factories import seed_contract
from yiyun.servicedesk.models import Ticket
from yiyun.servicedesk.tests.fixtures import at, media  # noqa: F401
from yiyun.testing.fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))

    def outside(request):
        if not request.url.startswith((live_server.url, "data:")):
            page.problems.append(f"external request: {request.url}")

    page.on("request", outside)
    yield page
    context.close()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_new_ticket_on_a_phone_and_its_live_countdown(world, media, phone, live_server, tmp_path):  # noqa: F811
    page = phone
    shots = tmp_path
    with time_machine.travel(at("2026-10-12T09:00"), tick=True) as traveller:
        seed_contract(world)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "a-member")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]:has-text('登录')")
        page.wait_for_selector("h1")

        page.goto(f"{live_server.url}/servicedesk/new/")
        page.wait_for_selector("#ticket-form")
        assert _fits(page), "the form scrolls sideways on a phone"
        submit = page.locator("#ticket-form button[type=submit]")
        box = submit.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.locator("#id_reported_at").count() == 0  # the desk's field only
        page.screenshot(path=str(shots / "new-ticket.png"), full_page=True)
        # The rectification deadline (2.1) shows only for a rectification demand.
        assert not page.locator("#id_rectification_due_at").is_visible()
        page.select_option("#id_kind", "rectification")
        assert page.locator("#id_rectification_due_at").is_visible()
        page.select_option("#id_kind", "fault")
        assert not page.locator("#id_rectification_due_at").is_visible()
        page.fill("#id_title", "HIS 无法登录")
        page.select_option("#id_site", label="盖孜力克镇卫生院")
        page.fill("#id_description", "门诊挂号处所有电脑无法登录")
        submit.click()

        page.wait_for_selector("h1:has-text('HIS 无法登录')")
        assert _fits(page), "the ticket page scrolls sideways on a phone"
        countdown = page.locator("#clocks .countdown")
        first = countdown.inner_text()
        assert first.startswith("剩余"), first
        ticket = Ticket.objects.get()
        assert ticket.channel == "portal" and ticket.obligation.rule == "2.2"

        # Three hours later the partial, refreshed by htmx in place, shows less time left.
        traveller.shift(timedelta(hours=3))
        with page.expect_response(lambda response: "/clocks/" in response.url) as answer:
            page.evaluate("htmx.trigger('#clocks', 'refresh')")
        assert answer.value.status == 200
        page.wait_for_function(
            "text => document.querySelector('#clocks .countdown').innerText !== text", arg=first
        )
        later = page.locator("#clocks .countdown").inner_text()
        assert later.startswith("剩余 20小时"), later
        assert page.url.endswith(f"/servicedesk/{ticket.pk}/")  # no full reload
        page.screenshot(path=str(shots / "ticket.png"), full_page=True)
        assert page.problems == []
