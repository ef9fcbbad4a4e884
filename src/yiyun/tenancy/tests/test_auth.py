"""Authentication: hashed passwords, throttled login, CSRF, and the audit of it all (2.5)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from yiyun.core.models import AuditEntry
from yiyun.tenancy.choices import Role
from yiyun.tenancy.services import person_update
from yiyun.testing.fixtures import PASSWORD


def _login(client, username, password):
    return client.post(reverse("portal:login"), {"username": username, "password": password})


def test_clause_2_5_passwords_are_stored_as_argon2(world, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = world.admin_a
    user.set_password("a-new-long-passphrase")
    user.save()
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert "a-new-long-passphrase" not in user.password
    assert user.check_password("a-new-long-passphrase")


def test_production_settings_hash_with_argon2_first():
    from yiyun import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_clause_2_5_login_and_failed_login_are_audited(world):
    client = Client()
    assert _login(client, "a-admin", "wrong").status_code == 200
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.data["username"] == "a-admin"
    assert "wrong" not in str(failed.data)
    response = _login(client, "a-admin", PASSWORD)
    assert response.status_code == 302
    login = AuditEntry.objects.get(action="auth.login")
    assert login.actor == "a-admin"
    assert login.organisation_id == world.customer_a.pk


def test_login_is_throttled_after_five_failures(world):
    client = Client()
    for _ in range(5):
        _login(client, "a-member", "wrong")
    # Even the right password is refused while locked out.
    response = _login(client, "a-member", PASSWORD)
    assert response.status_code == 429
    assert "登录已暂停" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from elsewhere is not affected.
    assert _login(Client(), "a-admin", PASSWORD).status_code == 302


def test_clause_2_5_password_change_is_audited(world, login):
    client = login(world.member_a)
    response = client.post(
        reverse("portal:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="auth.password_changed")
    assert entry.actor == "a-member"
    assert (
        get_user_model()
        .objects.get(username="a-member")
        .check_password("another-long-passphrase-7")
    )


def test_clause_2_5_role_change_is_audited(world):
    person_update(person=world.member_a.person, by=world.admin_a, role=Role.CUSTOMER_ADMIN)
    entry = AuditEntry.objects.get(action="person.role_changed")
    assert entry.data == {"role": ["customer_member", "customer_admin"]}
    assert entry.actor == "a-admin"


def test_csrf_is_enforced_on_login(world):
    client = Client(enforce_csrf_checks=True)
    response = _login(client, "a-admin", PASSWORD)
    assert response.status_code == 403


def test_security_headers(world, login):
    response = login(world.admin_a).get(reverse("portal:dashboard"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url_name", ["portal:dashboard", "portal:people", "portal:tokens"])
def test_pages_need_login(db, url_name):
    response = Client().get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
