"""Demo data: the seed contract (with its parties and sites), one login per role, and the
hospital's portal website with a month of access logs in the archive."""

import random
import secrets
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from yiyun.circuits.services import circuits_from_contract
from yiyun.contracts.services import contract_load_file
from yiyun.core import clock
from yiyun.core.clock import SHANGHAI
from yiyun.tenancy.models import Organisation, Person, Site
from yiyun.tenancy.services import person_create, user_create
from yiyun.websites import archive
from yiyun.websites.choices import FilingKind
from yiyun.websites.models import Website
from yiyun.websites.services import accesslog_import, filing_add, website_create

SEED_CONTRACT = Path(__file__).resolve().parents[1] / "contracts" / "data" / "keping-2024.yaml"
DEMO_PEOPLE = Path(__file__).resolve().parent / "data" / "demo_people.yaml"


def demo_password() -> str:
    """One password for every demo login, generated at the first run and kept in var/."""
    path = settings.VAR_DIR / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def load_seed_contract(path: Path = SEED_CONTRACT):
    """The seed contract through the contract loader: its parties and sites, the contract
    itself and its standing obligations (11.1). Loading it again changes nothing."""
    contract, _created = contract_load_file(path=path, by="demo")
    # The four township circuits of 1.2, ready for the probe runner.
    circuits_from_contract(contract, by="demo")
    return contract


@transaction.atomic
def load_demo_people(password: str) -> list[dict]:
    """Create the demo logins that do not exist yet; return all of them for printing."""
    logins = yaml.safe_load(DEMO_PEOPLE.read_text(encoding="utf-8"))
    user_model = get_user_model()
    for entry in logins:
        if user_model.objects.filter(username=entry["username"]).exists():
            continue
        organisation = Organisation.objects.get(name=entry["organisation"])
        site = (
            Site.objects.get(organisation=organisation, name=entry["site"])
            if entry.get("site")
            else None
        )
        person = Person.objects.filter(organisation=organisation, name=entry["name"]).first()
        if person is None:
            person = person_create(
                organisation=organisation,
                site=site,
                name=entry["name"],
                role=entry["role"],
                title=entry.get("title", ""),
                phone=entry.get("phone", ""),
                email=entry.get("email", ""),
                by="demo",
            )
        user_create(username=entry["username"], password=password, person=person, by="demo")
    return logins


DEMO_DOMAIN = "www.kpxyy.cn"
DEMO_LOG_DAYS = 30
# nginx writes English month names whatever the locale.
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def load_demo_website(organisation_name: str = "柯坪县人民医院") -> Website:
    """The hospital's portal, its ICP filing, and 30 days of generated nginx access logs
    (one quiet night hour missing, a few broken lines) imported into the archive, so that
    the website page has a coverage map and the log query has something to find."""
    existing = Website.objects.filter(domain=DEMO_DOMAIN).first()
    if existing is not None:
        return existing
    organisation = Organisation.objects.get(name=organisation_name)
    today = clock.local(clock.now()).date()
    website = website_create(
        organisation=organisation,
        domain=DEMO_DOMAIN,
        name="柯坪县人民医院门户网站",
        business_system="门户与预约挂号",
        online_since=datetime.combine(
            today - timedelta(days=DEMO_LOG_DAYS + 1), datetime.min.time(), SHANGHAI
        ),
        by="demo",
    )
    filing_add(
        website=website,
        kind=FilingKind.ICP_FILING,
        number="新ICP备00000000号-1（演示）",
        authority="新疆维吾尔自治区通信管理局",
        valid_until=date(today.year + 1, 12, 31),
        by="demo",
    )
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "access.log"
        log.write_text(_demo_log(today), encoding="utf-8")
        accesslog_import(website=website, path=log, by="demo")
    archive.merge_months(limit=None, everything=True)
    return website


def _demo_log(today: date) -> str:
    """nginx `combined` lines over the last DEMO_LOG_DAYS days, day by day."""
    rnd = random.Random(20241)  # noqa: S311 — made-up traffic, not a secret
    clients = [
        f"36.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}" for _ in range(300)
    ]
    clients += [
        f"240e:{rnd.randrange(0x10000):x}::{rnd.randrange(1, 0x10000):x}" for _ in range(100)
    ]
    pages = ["/", "/news/notice-{}.html", "/guide/outpatient", "/doctors/{}", "/api/appointments"]
    lines = []
    for back in range(DEMO_LOG_DAYS, 0, -1):
        day = today - timedelta(days=back)
        for hour in range(24):
            if back == 9 and hour == 3:
                continue  # a gap the coverage map shows
            for _ in range(rnd.randrange(5, 40) if 7 <= hour <= 22 else rnd.randrange(1, 6)):
                stamp = f"{day.day:02d}/{MONTHS[day.month - 1]}/{day.year}:{hour:02d}:"
                stamp += f"{rnd.randrange(60):02d}:{rnd.randrange(60):02d} +0800"
                page = rnd.choice(pages).replace("{}", str(rnd.randrange(40)))
                lines.append(
                    f"{rnd.choice(clients)} - - [{stamp}] "
                    f'"GET {page} HTTP/1.1" {rnd.choice([200, 200, 200, 304, 404])} '
                    f'{rnd.randrange(300, 40000)} "-" "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0"'
                )
        lines.append(f"{day:%Y-%m-%d} this line does not parse")
    return "\n".join(lines) + "\n"
