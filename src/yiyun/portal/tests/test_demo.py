import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from yiyun.circuits.models import Circuit
from yiyun.core.audit import audit_verify
from yiyun.obligations.models import Obligation
from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Organisation, Person, Site
from yiyun.websites.models import ArchiveFile, DailyCoverage, Website
from yiyun.websites.selectors import LogFilter, accesslog_page

# The command migrates first, which SQLite cannot do inside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_loads_the_seed_parties_sites_and_one_login_per_role(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    password = (tmp_path / "demo_password").read_text().strip()
    assert password in out and "http://127.0.0.1:8000/" in out

    hospital = Organisation.objects.get(name="柯坪县人民医院")
    provider = Organisation.objects.get(name="中国联合网络通信有限公司阿克苏地区分公司")
    assert provider in hospital.served_by.all()
    assert set(Site.objects.filter(organisation=hospital).values_list("township", flat=True)) == {
        "",
        "盖孜力克镇",
        "阿恰勒镇",
        "玉尔其乡",
        "启浪乡",
    }
    roles = set(Person.objects.filter(user__isnull=False).values_list("role", flat=True))
    assert roles == set(Role.values)
    for username in ["provider-admin", "engineer", "hospital-it", "township", "auditor"]:
        assert username in out
        assert get_user_model().objects.get(username=username).check_password(password)
    # The contract runs: its four circuits exist and the 11.1 notice clock is open.
    assert Circuit.objects.count() == 4
    renewal = Obligation.objects.get(rule="11.1", state="open")
    assert renewal.due_at.isoformat() == "2026-11-30T16:00:00+00:00"  # 2026-12-01 00:00 +08:00
    # The hospital's portal, its filing, and a month of access logs, sorted by IP.
    website = Website.objects.get(domain="www.kpxyy.cn", organisation=hospital)
    assert website.filings.get().number.startswith("新ICP备")
    files = ArchiveFile.objects.filter(website=website, removed_at__isnull=True)
    assert files and all(f.ip_sorted for f in files)
    # 30 days of lines; the broken ones count on the day they were received, today.
    coverage = DailyCoverage.objects.filter(website=website)
    days = [row for row in coverage if row.lines > row.parse_errors]
    assert len(days) == 30 and sum(row.parse_errors for row in coverage) == 30
    assert sum(1 for row in days if 0 in row.hours) == 1  # the night it was down
    page = accesslog_page(websites=[website], log_filter=LogFilter(ip="240e::/16"), limit=5)
    assert len(page.rows) == 5 and all(row["ip"].startswith("240e:") for row in page.rows)


def test_demo_twice_keeps_everything(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo", no_serve=True)
    counts = (Organisation.objects.count(), Site.objects.count(), Person.objects.count())
    hospital_it = Person.objects.get(user__username="hospital-it")
    hospital_it.phone = "0997-1234567"  # a change made while using the demo
    hospital_it.save()
    call_command("demo", no_serve=True)
    assert (Organisation.objects.count(), Site.objects.count(), Person.objects.count()) == counts
    assert Person.objects.get(user__username="hospital-it").phone == "0997-1234567"
    live = ArchiveFile.objects.filter(removed_at__isnull=True)
    assert Website.objects.count() == 1 and not live.filter(ip_sorted=False).exists()
    assert audit_verify().ok
