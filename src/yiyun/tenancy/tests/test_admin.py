"""The Django admin writes people under the same rule as the services."""

import pytest

from yiyun.core.models import AuditEntry
from yiyun.tenancy.choices import Role
from yiyun.tenancy.models import Person

ADD_URL = "/admin/tenancy/person/add/"


@pytest.fixture
def admin_client(world, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.invalid", "x"))
    return client


def _add(admin_client, organisation, role, site=None):
    return admin_client.post(
        ADD_URL,
        {
            "organisation": organisation.pk,
            "name": "张三",
            "role": role,
            "language": "zh-hans",
            "site": site.pk if site else "",
        },
    )


@pytest.mark.parametrize(
    ("side", "role"),
    [
        ("provider", Role.AUDITOR),
        ("provider", Role.CUSTOMER_ADMIN),
        ("customer_a", Role.PROVIDER_ADMIN),
        ("customer_a", Role.PROVIDER_ENGINEER),
    ],
)
def test_a_role_of_the_other_side_is_refused(admin_client, world, side, role):
    response = _add(admin_client, getattr(world, side), role)
    assert response.status_code == 200  # the form again, with the error
    assert "服务方角色只能授予服务方的人员" in response.content.decode()
    assert not Person.objects.filter(name="张三").exists()


def test_a_site_of_another_organisation_is_refused(admin_client, world):
    response = _add(admin_client, world.customer_a, Role.CUSTOMER_MEMBER, site=world.site_b)
    assert response.status_code == 200 and "所选院区属于其他单位" in response.content.decode()
    assert not Person.objects.filter(name="张三").exists()


def test_a_fitting_person_is_saved_and_audited(admin_client, world):
    response = _add(admin_client, world.customer_a, Role.AUDITOR, site=world.site_a)
    assert response.status_code == 302
    person = Person.objects.get(name="张三")
    assert (person.organisation, person.role) == (world.customer_a, Role.AUDITOR)
    assert AuditEntry.objects.filter(
        action="person.role_changed", object_id=str(person.pk)
    ).exists()
