"""Fixtures and helpers for the service desk tests: the seed contract between the
`world`'s parties, a roster, files under the test's own MEDIA_ROOT."""

import socket
from datetime import datetime

import pytest
from django.core.files.base import ContentFile

from yiyun.contracts.tests.factories import seed_contract
from yiyun.core.clock import SHANGHAI
from yiyun.servicedesk.choices import DutyRole
from yiyun.servicedesk.services import duty_shift_add
from yiyun.tenancy.choices import Role
from yiyun.testing.fixtures import make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%test\n"


def at(text: str) -> datetime:
    """A Beijing wall-clock time, aware."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def upload(name: str, data: bytes = b"hello") -> ContentFile:
    return ContentFile(data, name=name)


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go under this test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def contract(world):
    """The seed contract (keping-2024.yaml) between world.provider and customer A."""
    return seed_contract(world)


def roster(world, *, starts_at: datetime, ends_at: datetime):
    """The 24×7 desk (always on duty), a lead on shift and a lead off shift, and the
    engineer on shift. Returns the people."""
    provider = world.provider
    desk = make_user(provider, Role.PROVIDER_ENGINEER, "p-desk", email="desk@unicom.example")
    lead = make_user(provider, Role.PROVIDER_ADMIN, "p-lead", email="lead@unicom.example")
    off = make_user(provider, Role.PROVIDER_ADMIN, "p-off", email="off@unicom.example")
    by = world.provider_admin
    duty_shift_add(by=by, person=desk.person, role=DutyRole.DESK, starts_at=starts_at)
    duty_shift_add(
        by=by, person=lead.person, role=DutyRole.LEAD, starts_at=starts_at, ends_at=ends_at
    )
    duty_shift_add(
        by=by,
        person=off.person,
        role=DutyRole.LEAD,
        starts_at=ends_at,
        ends_at=ends_at.replace(year=ends_at.year + 1),
    )
    duty_shift_add(
        by=by,
        person=world.engineer.person,
        role=DutyRole.ENGINEER,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    return desk.person, lead.person, off.person


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
