"""The capacity page and the circuits page in a real Chromium: the chart is drawn (SVG
from the platform itself), the strict CSP reports nothing, nothing is fetched from
outside."""

import pytest

from yiyun.circuits.tests.factories import circuits_for
from yiyun.cloud.tests.factories import (
    a_host,
    a_server,
    contract_for,
    libvirt_test_fixture,  # noqa: F401 — the `libvirt_test` fixture
)
from yiyun.testing.fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_capacity_chart_and_circuits_render_under_the_csp(
    world, browser, live_server, libvirt_test
):
    contract = contract_for(world.customer_a, world.provider)
    a_server(contract, a_host(world.provider, pool=False), vcpu=100, memory_gib=300)
    circuits_for(world)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "request",
        lambda request: (
            request.url.startswith((live_server.url, "data:"))
            or problems.append(f"external request: {request.url}")
        ),
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "a-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_selector("h1")
    page.goto(f"{live_server.url}/cloud/contracts/{contract.pk}/")
    chart = page.locator("svg.chart").first
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert "剩余 112 / 212 core" in chart.text_content()
    page.goto(f"{live_server.url}/circuits/")
    page.wait_for_selector("text=启浪乡卫生院")
    context.close()
    assert problems == []
