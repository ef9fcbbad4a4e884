"""Organisations, sites, people and the caller's own tokens — all through `scoped`."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Router

from yiyun.tenancy.models import ApiToken, Person, Site
from yiyun.tenancy.schemas import (
    MeOut,
    OrganisationOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    SiteOut,
    TokenCreated,
    TokenIn,
    TokenOut,
)
from yiyun.tenancy.selectors import is_read_only, person_of, scoped, visible_organisations
from yiyun.tenancy.services import (
    api_token_create,
    api_token_revoke,
    person_create,
    person_update,
)

PREFIX = "/"
router = Router(tags=["tenancy"])


def _refuse_read_only(user) -> None:
    if is_read_only(user):
        raise PermissionDenied("read-only account")


@router.get("/me", response=MeOut)
def me(request):
    return {
        "username": request.user.get_username(),
        "person": person_of(request.user),
        "read_only": is_read_only(request.user),
    }


@router.get("/organisations", response=list[OrganisationOut])
def organisation_list(request):
    return visible_organisations(request.user)


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
def organisation_get(request, organisation_id: int):
    return get_object_or_404(visible_organisations(request.user), pk=organisation_id)


@router.get("/sites", response=list[SiteOut])
def site_list(request, organisation: int | None = None):
    sites = scoped(Site.objects.all(), request.user)
    return sites.filter(organisation=organisation) if organisation else sites


@router.get("/sites/{site_id}", response=SiteOut)
def site_get(request, site_id: int):
    return get_object_or_404(scoped(Site.objects.all(), request.user), pk=site_id)


@router.get("/people", response=list[PersonOut])
def person_list(request, organisation: int | None = None):
    people = scoped(Person.objects.all(), request.user)
    return people.filter(organisation=organisation) if organisation else people


@router.get("/people/{person_id}", response=PersonOut)
def person_get(request, person_id: int):
    return get_object_or_404(scoped(Person.objects.all(), request.user), pk=person_id)


@router.post("/people", response={201: PersonOut})
def person_add(request, payload: PersonIn):
    _refuse_read_only(request.user)
    organisation = get_object_or_404(visible_organisations(request.user), pk=payload.organisation)
    data = payload.dict(exclude={"organisation", "site"})
    site = (
        get_object_or_404(scoped(Site.objects.all(), request.user), pk=payload.site)
        if payload.site
        else None
    )
    return 201, person_create(organisation=organisation, site=site, by=request.user, **data)


@router.patch("/people/{person_id}", response=PersonOut)
def person_change(request, person_id: int, payload: PersonPatch):
    _refuse_read_only(request.user)
    person = get_object_or_404(scoped(Person.objects.all(), request.user), pk=person_id)
    changes = payload.dict(exclude_unset=True)
    if "site" in changes:
        changes["site"] = (
            get_object_or_404(scoped(Site.objects.all(), request.user), pk=changes["site"])
            if changes["site"]
            else None
        )
    return person_update(person=person, by=request.user, **changes)


def _token_out(row: ApiToken) -> dict:
    return {
        "id": row.pk,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at.isoformat(),
        "revoked": row.revoked_at is not None,
    }


@router.get("/tokens", response=list[TokenOut])
def token_list(request):
    return [_token_out(row) for row in ApiToken.objects.filter(user=request.user)]


@router.post("/tokens", response={201: TokenCreated})
def token_add(request, payload: TokenIn):
    row, token = api_token_create(user=request.user, name=payload.name)
    return 201, {**_token_out(row), "token": token}


@router.delete("/tokens/{token_id}", response={204: None})
def token_revoke(request, token_id: int):
    row = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(token=row, by=request.user)
    return 204, None
