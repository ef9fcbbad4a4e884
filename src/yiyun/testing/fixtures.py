"""Shared pytest fixtures: a small world of organisations and users of every role.

`world` has a provider serving two customers (A and B) and a second provider serving
nobody, so tenant-isolation tests can always ask "what does somebody else see?". Both
the provider and customer A have a read-only auditor, so tests can ask "may a read-only
account of this side write?".
"""

from types import SimpleNamespace

import pytest
from django.test import Client

from yiyun.tenancy.choices import OrganisationKind, Role, SiteKind
from yiyun.tenancy.models import Person
from yiyun.tenancy.services import (
    organisation_ensure,
    person_create,
    site_ensure,
    user_create,
)

PASSWORD = "correct-horse-battery-9"


def make_user(organisation, role, username, *, site=None, email=""):
    person = person_create(
        organisation=organisation,
        name=username,
        role=role,
        site=site,
        email=email or f"{username}@example.invalid",
    )
    return user_create(username=username, password=PASSWORD, person=person)


def make_provider_auditor(provider, username):
    """A read-only account of the provider itself, written straight to the database.

    Tenancy refuses the auditor role in a provider organisation (`person_fits`, in the
    services and the Django admin), but a row written otherwise (an old one, an import)
    must still be unable to write: the isolation test checks that with this account.
    """
    person = Person.objects.create(
        organisation=provider,
        name=username,
        role=Role.AUDITOR,
        email=f"{username}@example.invalid",
    )
    return user_create(username=username, password=PASSWORD, person=person)


@pytest.fixture(autouse=True)
def _audit_anchors(settings, tmp_path):
    """Each test anchors the audit chain in a file of its own (core.audit.audit_anchor)."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.jsonl"


@pytest.fixture
def world(db):
    provider = organisation_ensure(name="联通阿克苏", kind=OrganisationKind.PROVIDER)
    other_provider = organisation_ensure(name="电信阿克苏", kind=OrganisationKind.PROVIDER)
    customer_a = organisation_ensure(name="柯坪县人民医院", kind=OrganisationKind.CUSTOMER)
    customer_b = organisation_ensure(name="乌什县人民医院", kind=OrganisationKind.CUSTOMER)
    customer_a.served_by.add(provider)
    customer_b.served_by.add(provider)
    site_a = site_ensure(organisation=customer_a, name="柯坪县人民医院", kind=SiteKind.HOSPITAL)
    site_a2 = site_ensure(
        organisation=customer_a, name="盖孜力克镇卫生院", kind=SiteKind.HEALTH_CENTRE
    )
    site_b = site_ensure(organisation=customer_b, name="乌什县人民医院", kind=SiteKind.HOSPITAL)
    return SimpleNamespace(
        provider=provider,
        other_provider=other_provider,
        customer_a=customer_a,
        customer_b=customer_b,
        site_a=site_a,
        site_a2=site_a2,
        site_b=site_b,
        provider_admin=make_user(provider, Role.PROVIDER_ADMIN, "p-admin"),
        engineer=make_user(provider, Role.PROVIDER_ENGINEER, "p-eng"),
        provider_auditor=make_provider_auditor(provider, "p-auditor"),
        other_provider_admin=make_user(other_provider, Role.PROVIDER_ADMIN, "o-admin"),
        admin_a=make_user(customer_a, Role.CUSTOMER_ADMIN, "a-admin", site=site_a),
        member_a=make_user(customer_a, Role.CUSTOMER_MEMBER, "a-member", site=site_a2),
        auditor_a=make_user(customer_a, Role.AUDITOR, "a-auditor"),
        admin_b=make_user(customer_b, Role.CUSTOMER_ADMIN, "b-admin", site=site_b),
        member_b=make_user(customer_b, Role.CUSTOMER_MEMBER, "b-member"),
    )


@pytest.fixture
def login():
    """login(user) -> a Django test Client signed in as that user."""

    def _login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that check hashing ask for it explicitly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path_factory):
    # Uploaded and generated files of a test never land in the working tree's var/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
