"""Every page and API operation keeps each customer to its own organisation.

The cases come from each app's tests/isolation.py; the URL patterns and OpenAPI
operations are enumerated here, so a new page or endpoint without a case fails.
"""

import json
from urllib.parse import urlencode

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from yiyun.api import api
from yiyun.core.apps_registry import app_module, yiyun_apps
from yiyun.testing.isolation import Operation, Page, allowed_caller

UNCHECKED_NAMESPACES = {"admin", "api"}  # the admin is superuser-only; the API is below


def _cases():
    cases = []
    for config in yiyun_apps():
        module = app_module(config, "tests.isolation")
        if module is not None:
            cases.extend(module.CASES)
    return cases


CASES = _cases()
PAGES = {case.url_name: case for case in CASES if isinstance(case, Page)}
OPERATIONS = {case.operation_id: case for case in CASES if isinstance(case, Operation)}


def _url_names(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            if inner in UNCHECKED_NAMESPACES:
                continue
            yield from _url_names(
                entry.url_patterns, f"{namespace}{inner}:" if inner else namespace
            )
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def _operations():
    schema = api.get_openapi_schema()
    prefix = reverse("api:api-root")
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield operation["operationId"], method, path.removeprefix(prefix.rstrip("/"))


OPERATION_ROUTES = {op_id: (method, path) for op_id, method, path in _operations()}


def test_every_page_has_an_isolation_case():
    # healthz and metrics show no tenant data (metrics: tested in core).
    names = set(_url_names(get_resolver().url_patterns)) - {"healthz", "metrics"}
    assert names - set(PAGES) == set(), "pages without a case in <app>/tests/isolation.py"
    assert set(PAGES) - names == set(), "cases for pages that no longer exist"


def test_every_api_operation_has_an_isolation_case():
    assert set(OPERATION_ROUTES) - set(OPERATIONS) == set(), "operations without a case"
    assert set(OPERATIONS) - set(OPERATION_ROUTES) == set(), "cases for missing operations"


def _text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _row_counts() -> dict[str, int]:
    """Rows of every yiyun model: what a refused write must leave as it was."""
    return {
        model._meta.label: model._base_manager.count()
        for model in django_apps.get_models()
        if model.__module__.startswith("yiyun.")
    }


def _status_writing_nothing(send, user) -> int:
    """`send` as `user`; the status, after checking that no yiyun row changed."""
    client = _client(user)  # the login is audited: count after it
    before = _row_counts()
    status = send(client).status_code
    assert _row_counts() == before, f"{user.get_username()} wrote"
    return status


@pytest.mark.parametrize("case", PAGES.values(), ids=list(PAGES))
def test_page_isolation(world, case: Page):
    kwargs = case.kwargs(world) if case.kwargs else None
    url = reverse(case.url_name, kwargs=kwargs or None)
    data = case.data(world)

    def send(client):
        return client.post(url, data) if case.write or case.post else client.get(url)

    def call(user):
        return send(_client(user))

    if not case.public:
        response = call(None)
        assert response.status_code == 302 and "/login/" in response["Location"]
    if kwargs is not None:
        assert call(world.admin_b).status_code == 404, "customer B reached customer A's object"
        provider_status = call(world.provider_admin).status_code
        if case.personal:
            assert provider_status == 404, "a personal object reached by someone else"
        else:
            assert provider_status < 400, "the serving provider is refused"
        assert call(world.other_provider_admin).status_code == 404
        assert call(world.admin_a).status_code < 400
    if case.write and not case.public:
        assert call(world.auditor_a).status_code in (403, 404), "an auditor could write"
    if case.provider_only:
        assert call(world.admin_a).status_code == 403, "a customer posted a provider-only page"
        # Its form offers neither customer A nor the serving provider's people.
        _status_writing_nothing(send, world.other_provider_admin)
        assert _status_writing_nothing(send, world.provider_auditor) == 403, (
            "the provider's auditor could write"
        )
        # The same data saves for the serving provider's admin: the refusals above are
        # refusals, not a form error.
        before = _row_counts()
        assert call(allowed_caller(case, world)).status_code == 302
        assert _row_counts() != before, "the serving provider's admin saved nothing"


@pytest.mark.parametrize("case", OPERATIONS.values(), ids=list(OPERATIONS))
def test_api_isolation(world, case: Operation):
    method, template = OPERATION_ROUTES[case.operation_id]
    params = case.params(world) if case.params else {}
    url = "/api" + template.format(**params)
    if case.query is not None:
        url += "?" + urlencode(case.query(world))
    body = case.body(world)

    def send(client):
        kwargs = {"content_type": "application/json"}
        if method in ("post", "put", "patch"):
            kwargs["data"] = json.dumps(body)
        return getattr(client, method)(url, **kwargs)

    def call(user):
        return send(_client(user))

    assert call(None).status_code == 401
    if case.params is not None:
        assert call(world.admin_b).status_code == 404, "customer B reached customer A's object"
        assert call(world.other_provider_admin).status_code == 404
    if case.write:
        assert call(world.auditor_a).status_code == 403, "an auditor could write"
    if case.provider_only:
        assert call(world.admin_a).status_code == 403, "a customer called a provider-only operation"
        assert call(world.other_provider_admin).status_code == 404
        if case.write:
            assert _status_writing_nothing(send, world.provider_auditor) == 403, (
                "the provider's auditor could write"
            )
    if case.marker is not None:
        marker = case.marker(world)
        assert marker in _text(call(world.admin_a))
        assert marker not in _text(call(world.admin_b))
    allowed = call(allowed_caller(case, world))
    assert allowed.status_code < 400, allowed.content
