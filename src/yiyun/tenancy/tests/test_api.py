"""The API: personal tokens (hashed, shown once, revocable), scoping, and JSON errors."""

import json

from django.test import Client

from yiyun.core.models import AuditEntry
from yiyun.tenancy.models import ApiToken, Person
from yiyun.tenancy.services import api_token_create


def _bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_token_is_shown_once_and_stored_hashed(world, login):
    client = login(world.admin_a)
    response = _post(client, "/api/tokens", {"name": "his-sync"})
    assert response.status_code == 201
    token = response.json()["token"]
    row = ApiToken.objects.get(pk=response.json()["id"])
    assert token not in (row.digest, row.prefix)
    assert row.digest == ApiToken.digest_of(token)
    # The listing never shows it again.
    assert token not in client.get("/api/tokens").content.decode()
    assert AuditEntry.objects.filter(action="api_token.created").exists()


def test_token_authenticates_as_its_user_until_revoked(world):
    row, token = api_token_create(user=world.admin_a, name="ci")
    me = _bearer(token).get("/api/me")
    assert me.status_code == 200
    assert me.json()["username"] == "a-admin"
    sites = _bearer(token).get("/api/sites").json()
    assert {site["organisation"] for site in sites} == {world.customer_a.pk}
    row.refresh_from_db()
    assert row.last_used_at is not None

    assert _bearer(token).delete(f"/api/tokens/{row.pk}").status_code == 204
    assert _bearer(token).get("/api/me").status_code == 401
    assert _bearer("yy_not-a-token").get("/api/me").status_code == 401


def test_token_page_shows_the_token_once(world, login):
    client = login(world.member_a)
    response = client.post("/tokens/", {"name": "mobile"})
    token = response.context["new_token"]
    assert token.startswith("yy_") and token in response.content.decode()
    assert token not in client.get("/tokens/").content.decode()
    row = ApiToken.objects.get(user=world.member_a)
    client.post(f"/tokens/{row.pk}/revoke/")
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_bad_input_is_a_4xx_json_error(world, login):
    client = login(world.admin_a)
    missing_name = _post(client, "/api/people", {"organisation": world.customer_a.pk})
    assert missing_name.status_code == 422
    assert "detail" in missing_name.json()
    bad_role = _post(
        client,
        "/api/people",
        {"organisation": world.customer_a.pk, "name": "x", "role": "provider_admin"},
    )
    assert bad_role.status_code == 400
    assert bad_role.json()["field"] == "role"
    bad_email = _post(
        client, "/api/people", {"organisation": world.customer_a.pk, "name": "x", "email": "nope"}
    )
    assert bad_email.status_code == 400
    assert "email" in bad_email.json()["detail"]
    assert client.get("/api/people/not-a-number").status_code == 422
    assert client.get("/api/people/999999").status_code == 404
    malformed = client.post("/api/people", "{", content_type="application/json")
    assert 400 <= malformed.status_code < 500


def test_people_are_managed_by_admins_only(world, login):
    body = {"organisation": world.customer_a.pk, "name": "新信息员"}
    assert _post(login(world.member_a), "/api/people", body).status_code == 403
    assert _post(login(world.auditor_a), "/api/people", body).status_code == 403
    assert _post(login(world.admin_b), "/api/people", body).status_code == 404
    created = _post(login(world.provider_admin), "/api/people", body)
    assert created.status_code == 201
    assert Person.objects.get(pk=created.json()["id"]).organisation == world.customer_a


def test_site_of_another_customer_cannot_be_assigned(world, login):
    client = login(world.provider_admin)
    response = client.patch(
        f"/api/people/{world.member_a.person.pk}",
        json.dumps({"site": world.site_b.pk}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "site"


def test_openapi_and_docs_are_served(db):
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/people" in schema.json()["paths"]
    assert Client().get("/api/docs").status_code == 200
