"""Writes for tenancy: organisations, sites, people, roles, accounts and API tokens."""

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.core.audit import audit_record
from yiyun.core.errors import DomainError
from yiyun.tenancy.choices import PROVIDER_ROLES, OrganisationKind
from yiyun.tenancy.models import ApiToken, Organisation, Person, Site
from yiyun.tenancy.selectors import can_manage

TOKEN_PREFIX = "yy_"  # noqa: S105 — a marker, not a secret


def organisation_ensure(*, name: str, kind: str, by=None, **fields) -> Organisation:
    """The organisation called `name`, created (and audited) when it does not exist yet."""
    organisation, created = Organisation.objects.get_or_create(
        name=name, defaults={"kind": kind, **fields}
    )
    if created:
        audit_record(
            actor=by,
            action="organisation.created",
            obj=organisation,
            organisation=organisation,
            data={"name": name, "kind": kind},
        )
    return organisation


def site_ensure(*, organisation: Organisation, name: str, kind: str, by=None, **fields) -> Site:
    """The site `name` of `organisation`, created (and audited) when missing."""
    site, created = Site.objects.get_or_create(
        organisation=organisation, name=name, defaults={"kind": kind, **fields}
    )
    if created:
        audit_record(
            actor=by,
            action="site.created",
            obj=site,
            organisation=organisation,
            data={"name": name, "kind": kind},
        )
    return site


def _require_manage(by, organisation: Organisation) -> None:
    if by is not None and not isinstance(by, str) and not can_manage(by, organisation):
        raise PermissionDenied("you may not change this organisation's people")


def person_fits(*, role: str, organisation: Organisation, site=None) -> None:
    """Raise DomainError unless `role` and `site` fit `organisation`: what every way of
    writing a person (services, the Django admin) must check."""
    _check_role_fits(role, organisation)
    _check_site(site, organisation)


def _check_role_fits(role: str, organisation: Organisation) -> None:
    # Provider roles exist only in the provider; nobody can grant them to a customer's user.
    is_provider_role = role in PROVIDER_ROLES
    if is_provider_role != (organisation.kind == OrganisationKind.PROVIDER):
        raise DomainError(
            _("服务方角色只能授予服务方的人员，客户角色（含审计员）只能授予客户的人员。"),
            code="role_mismatch",
            field="role",
        )


def _check_site(site, organisation: Organisation) -> None:
    if site is not None and site.organisation_id != organisation.pk:
        raise DomainError(_("所选院区属于其他单位。"), field="site")


@transaction.atomic
def person_create(*, organisation: Organisation, name: str, by=None, **fields) -> Person:
    """Add a person (contact, or future user) to `organisation`."""
    _require_manage(by, organisation)
    person = Person(organisation=organisation, name=name, **fields)
    person_fits(role=person.role, organisation=organisation, site=person.site)
    person.full_clean()
    person.save()
    audit_record(
        actor=by,
        action="person.created",
        obj=person,
        organisation=organisation,
        data={"name": name, "role": person.role},
    )
    return person


@transaction.atomic
def person_update(*, person: Person, by=None, **changes) -> Person:
    """Change a person's details; a change of role is audited as such (2.5)."""
    _require_manage(by, person.organisation)
    before = {field: getattr(person, field) for field in changes}
    for field, value in changes.items():
        setattr(person, field, value)
    person_fits(role=person.role, organisation=person.organisation, site=person.site)
    person.full_clean()
    person.save()
    changed = {f: [before[f], v] for f, v in changes.items() if before[f] != v}
    if changed:
        action = "person.role_changed" if "role" in changed else "person.updated"
        audit_record(
            actor=by, action=action, obj=person, organisation=person.organisation, data=changed
        )
    return person


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    person: Person,
    is_superuser: bool = False,
    by=None,
):
    """Give `person` a login. The password is hashed (Argon2) and never stored in clear."""
    user_model = get_user_model()
    user = user_model(username=username, email=person.email, is_superuser=is_superuser)
    user.is_staff = is_superuser
    user.set_password(password)
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    audit_record(
        actor=by,
        action="user.created",
        obj=user,
        organisation=person.organisation,
        data={"username": username, "person": person.pk, "role": person.role},
    )
    return user


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Issue a personal API token. Returns the row and the token, which is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=token[:10],
        digest=ApiToken.digest_of(token),
        created_at=clock.now(),
    )
    audit_record(
        actor=user,
        action="api_token.created",
        obj=row,
        organisation=getattr(getattr(user, "person", None), "organisation", None),
        data={"name": name, "prefix": row.prefix},
    )
    return row, token


def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke a token; it stops working at once."""
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="api_token.revoked", obj=token, data={"prefix": token.prefix})
    return token


def api_token_authenticate(token: str):
    """The active user a presented token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=clock.now())
    return row.user
