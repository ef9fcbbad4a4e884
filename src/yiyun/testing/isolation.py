"""Tenant-isolation cases: every page and every API operation names one.

Each app lists its cases in `<app>/tests/isolation.py` as `CASES = [...]`. The test in
`portal/tests/test_tenant_isolation.py` enumerates the URL patterns and the OpenAPI
operations and fails for any that has no case, so a new endpoint cannot ship unchecked.

A case's callables receive the `world` fixture (see testing/fixtures.py) and create
what they need: an object belonging to **customer A**. The test then checks that
customer B's admin gets 404 for it, customer A's admin can reach it, and (for writes)
customer A's read-only auditor gets 403.

A page or operation only the provider's staff may use (`provider_only`: recording a
complaint or a violation notice, the duty roster) is checked the other way round:
customer A's admin gets 403; another provider's admin gets 404 from the API (the body
names customer A or the serving provider's people, which it does not serve) and writes
nothing through the page (its form offers neither); the serving provider's read-only
auditor gets 403 and writes nothing; the serving provider's admin succeeds.
"Writes nothing" means no row of any yiyun model changes. `allowed_caller` names who
must succeed with a case.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

World = SimpleNamespace


@dataclass(frozen=True)
class Page:
    """A portal page, by URL name ("contracts:detail")."""

    url_name: str
    # kwargs for reverse() naming an object of customer A; None for a page without one.
    kwargs: Callable[[World], dict] | None = None
    # A state-changing page (POST): the auditor must be refused.
    write: bool = False
    # POST without being a write in the data sense (logout, language switch).
    post: bool = False
    data: Callable[[World], dict] = field(default=lambda world: {})
    # Pages anyone may open without signing in (login, public announcements…).
    public: bool = False
    # The object belongs to customer A's admin personally (an inbox message, a token):
    # nobody else, not even the serving provider, may reach it.
    personal: bool = False
    # Only the provider's staff may post it (see Operation.provider_only).
    provider_only: bool = False


@dataclass(frozen=True)
class Operation:
    """An API operation, by OpenAPI operationId."""

    operation_id: str
    # Path parameters naming an object of customer A; None for collection operations.
    params: Callable[[World], dict] | None = None
    write: bool = False
    body: Callable[[World], dict] = field(default=lambda world: {})
    # Query-string parameters the operation needs to answer at all.
    query: Callable[[World], dict] | None = None
    # For collections: text that appears for customer A's admin and must not for B's.
    marker: Callable[[World], str] | None = None
    # Only the provider's staff may call it: customer A's admin and the serving
    # provider's auditor get 403, another provider's admin 404, the serving provider's
    # admin succeeds.
    provider_only: bool = False


def allowed_caller(case: Page | Operation, world: World):
    """Who must succeed with `case`: customer A's admin, or the serving provider's admin
    for a provider-only page or operation."""
    return world.provider_admin if case.provider_only else world.admin_a
