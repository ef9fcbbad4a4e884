"""Reads for tenancy, and the one scoping path every view and endpoint goes through."""

from django.db.models import QuerySet

from yiyun.tenancy.choices import ADMIN_ROLES, PROVIDER_ROLES, OrganisationKind, Role
from yiyun.tenancy.models import Organisation, Person


def person_of(user) -> Person | None:
    """The Person behind a logged-in user, or None (anonymous, or an account without one)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def visible_organisations(user) -> QuerySet[Organisation]:
    """Organisations `user` may see.

    A customer's users and auditors: their own organisation only. Provider staff: their
    own organisation and the customers it serves. A superuser (the operator): all.
    """
    if user is not None and user.is_authenticated and user.is_superuser:
        return Organisation.objects.all()
    person = person_of(user)
    if person is None:
        return Organisation.objects.none()
    own = Organisation.objects.filter(pk=person.organisation_id)
    if person.role in PROVIDER_ROLES and person.organisation.kind == OrganisationKind.PROVIDER:
        return own | Organisation.objects.filter(served_by=person.organisation_id)
    return own


def scoped(queryset: QuerySet, user, *, via: str = "organisation") -> QuerySet:
    """`queryset` narrowed to rows of the organisations `user` may see.

    `via` is the lookup path from the model to its Organisation ("organisation",
    "contract__customer", …; "pk" when the model is Organisation itself).
    """
    visible = visible_organisations(user).values("pk")
    return queryset.filter(**{f"{via}__in": visible}).distinct()


def is_read_only(user) -> bool:
    person = person_of(user)
    if user is not None and user.is_authenticated and user.is_superuser:
        return False
    return person is None or person.role == Role.AUDITOR


def can_manage(user, organisation: Organisation) -> bool:
    """May `user` change `organisation`'s people and settings?

    Auditors never write; members only read; a customer admin manages its own
    organisation; a provider admin manages its own and the customers it serves.
    """
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    person = person_of(user)
    if person is None or person.role not in ADMIN_ROLES:
        return False
    return visible_organisations(user).filter(pk=organisation.pk).exists()
