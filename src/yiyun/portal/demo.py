"""Demo data: the seed contract (with its parties and sites), and one login per role."""

import secrets
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from yiyun.circuits.services import circuits_from_contract
from yiyun.contracts.services import contract_load_file
from yiyun.tenancy.models import Organisation, Person, Site
from yiyun.tenancy.services import person_create, user_create

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
