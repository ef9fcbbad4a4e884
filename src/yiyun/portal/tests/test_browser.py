"""The portal in a real Chromium: sign in, read the dashboard, switch language, no CSP breakage,
and nothing fetched from outside the platform (a hospital intranet has no internet)."""

import pytest

from yiyun.testing.fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
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


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('登录')")


def test_sign_in_dashboard_and_language_switch(world, page, live_server, tmp_path):
    _sign_in(page, live_server, "a-member")
    page.wait_for_selector("h1:has-text('工作台')")
    assert "盖孜力克镇卫生院" in page.content()
    assert "乌什县人民医院" not in page.content()
    page.screenshot(path=str(tmp_path / "dashboard-zh.png"), full_page=True)

    page.click("button[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("button[value=en].current").count() == 1
    page.reload()
    assert page.get_attribute("html", "lang") == "en"
    assert page.problems == []


def test_htmx_is_served_by_the_platform(world, page, live_server):
    _sign_in(page, live_server, "a-admin")
    page.wait_for_selector("h1")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.problems == []


def test_api_docs_render_offline(world, page, live_server):
    _sign_in(page, live_server, "a-admin")
    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("/api/people").first.wait_for(timeout=15000)
    external = [p for p in page.problems if p.startswith("external request")]
    assert external == []
