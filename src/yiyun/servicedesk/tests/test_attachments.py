"""Attachments: size and type limits, stored under MEDIA_ROOT, served only through the
scoped view (never an internal file to the customer)."""

import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from yiyun.core.errors import DomainError
from yiyun.servicedesk.choices import TicketKind
from yiyun.servicedesk.services import ticket_attach, ticket_create
from yiyun.servicedesk.tests.fixtures import PDF, PNG, at, contract, media, upload  # noqa: F401

pytestmark = pytest.mark.usefixtures("contract")


@pytest.fixture
def ticket(world):
    with time_machine.travel(at("2026-10-12T09:00"), tick=False):
        yield ticket_create(
            by=world.member_a, organisation=world.customer_a, title="打印机", kind=TicketKind.FAULT
        )


def test_files_are_checked_stored_under_media_root_and_hashed(world, ticket, media):  # noqa: F811
    attachment = ticket_attach(ticket=ticket, by=world.member_a, upload=upload("截图.png", PNG))
    path = media / attachment.file.name
    assert path.is_file() and path.read_bytes() == PNG
    assert attachment.file.name.startswith(f"servicedesk/org-{world.customer_a.pk}/")
    assert "截图" not in attachment.file.name  # stored under a random name
    assert attachment.name == "截图.png" and attachment.content_type == "image/png"
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()

    with pytest.raises(DomainError) as wrong_type:
        ticket_attach(ticket=ticket, by=world.member_a, upload=upload("setup.exe", b"MZ..."))
    assert wrong_type.value.code == "bad_type"
    with pytest.raises(DomainError) as disguised:
        ticket_attach(ticket=ticket, by=world.member_a, upload=upload("photo.png", b"<html>"))
    assert disguised.value.code == "bad_content"
    with pytest.raises(DomainError):
        ticket_attach(ticket=ticket, by=world.member_a, upload=upload("a.txt", b"\xff\xfe\x00"))
    with pytest.raises(PermissionDenied):
        ticket_attach(ticket=ticket, by=world.auditor_a, upload=upload("a.txt"))


def test_size_and_type_limits_come_from_settings(world, ticket, media, settings):  # noqa: F811
    settings.SERVICEDESK_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(DomainError) as too_large:
        ticket_attach(ticket=ticket, by=world.member_a, upload=upload("big.pdf", PDF + b"x" * 1024))
    assert too_large.value.code == "too_large"
    assert ticket_attach(ticket=ticket, by=world.member_a, upload=upload("ok.pdf", PDF))
    settings.SERVICEDESK_ATTACHMENT_TYPES = ["pdf"]
    with pytest.raises(DomainError):
        ticket_attach(ticket=ticket, by=world.member_a, upload=upload("a.txt"))


def test_downloads_are_scoped(world, ticket, media, login):  # noqa: F811
    shared = ticket_attach(ticket=ticket, by=world.member_a, upload=upload("日志.txt", b"log"))
    internal = ticket_attach(
        ticket=ticket, by=world.engineer, upload=upload("内部.txt", b"secret"), internal=True
    )
    url = reverse("servicedesk:attachment", kwargs={"pk": shared.pk})
    response = login(world.admin_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"log"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert login(world.admin_b).get(url).status_code == 404
    assert login(world.other_provider_admin).get(url).status_code == 404
    secret = reverse("servicedesk:attachment", kwargs={"pk": internal.pk})
    assert login(world.admin_a).get(secret).status_code == 404
    assert login(world.engineer).get(secret).status_code == 200
    api = login(world.admin_a).get(f"/api/servicedesk/attachments/{internal.pk}")
    assert api.status_code == 404
    with pytest.raises(PermissionDenied):
        ticket_attach(ticket=ticket, by=world.member_a, upload=upload("x.txt"), internal=True)
