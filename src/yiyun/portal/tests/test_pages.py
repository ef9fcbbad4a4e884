from django.test import Client
from django.urls import reverse

from yiyun.tenancy.models import Person


def test_dashboard_shows_the_users_organisation_and_sites(world, login):
    page = login(world.member_a).get(reverse("portal:dashboard")).content.decode()
    assert "柯坪县人民医院" in page and "盖孜力克镇卫生院" in page
    assert "乌什县人民医院" not in page


def test_provider_dashboard_lists_the_customers_it_serves(world, login):
    page = login(world.provider_admin).get(reverse("portal:dashboard")).content.decode()
    assert "柯坪县人民医院" in page and "乌什县人民医院" in page
    other = login(world.other_provider_admin).get(reverse("portal:dashboard")).content.decode()
    assert "柯坪县人民医院" not in other


def test_interface_is_chinese_by_default_whatever_the_browser_asks(world):
    client = Client(headers={"Accept-Language": "en-US,en;q=0.9"})
    page = client.get(reverse("portal:login"))
    assert page["Content-Language"] == "zh-hans"
    assert "登录" in page.content.decode()


def test_language_choice_is_remembered_per_user(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("portal:set_language"), {"language": "en", "next": reverse("portal:people")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:people")
    assert Person.objects.get(pk=world.admin_a.person.pk).language == "en"
    # A new session (another browser) of the same user gets English too.
    page = login(world.admin_a).get(reverse("portal:dashboard"))
    assert page["Content-Language"] == "en"
    assert "Dashboard" in page.content.decode()
    # Other users are unaffected.
    assert login(world.member_a).get(reverse("portal:dashboard"))["Content-Language"] == "zh-hans"


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("portal:set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:dashboard")
    assert Person.objects.get(pk=world.admin_a.person.pk).language == "zh-hans"


def test_healthz(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_audit_log_shows_only_the_users_organisations(world, login):
    from yiyun.core.audit import audit_record

    audit_record(actor=None, action="test.for_a", organisation=world.customer_a)
    audit_record(actor=None, action="test.for_b", organisation=world.customer_b)
    page = login(world.auditor_a).get(reverse("portal:audit")).content.decode()
    assert "test.for_a" in page and "test.for_b" not in page
    provider_page = login(world.provider_admin).get(reverse("portal:audit")).content.decode()
    assert "test.for_a" in provider_page and "test.for_b" in provider_page
    filtered = login(world.auditor_a).get(reverse("portal:audit"), {"action": "person."})
    assert "test.for_a" not in filtered.content.decode()


def test_language_switch_names_each_language_in_itself(world, login):
    page = login(world.admin_a).get(reverse("portal:dashboard")).content.decode()
    assert ">English</button>" in page and ">简体中文</button>" in page
