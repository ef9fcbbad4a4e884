"""Logins, failed logins and password changes go to the audit log (2.5).

These come from Django's own auth machinery (the login view, the admin, axes, the
password setter), so its signals are the one place that sees every path.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from yiyun.core.audit import audit_record


def _organisation_of(user):
    person = getattr(user, "person", None) if user is not None else None
    return person.organisation_id if person is not None else None


def _client(request) -> dict:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", "")}


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(
        actor=user,
        action="auth.login",
        obj=user,
        organisation=_organisation_of(user),
        data=_client(request),
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(
            actor=user,
            action="auth.logout",
            obj=user,
            organisation=_organisation_of(user),
            data=_client(request),
        )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never the password: only the name that was tried.
    audit_record(
        actor="anonymous",
        action="auth.login_failed",
        data={"username": str(credentials.get("username", ""))[:150], **_client(request)},
    )


@receiver(post_save, sender=get_user_model())
def _password_changed(sender, instance, created, **kwargs):
    # Django keeps the raw password in `_password` only for a real change; a hash
    # upgrade on login clears it first, so it is not reported as a change.
    if not created and getattr(instance, "_password", None) is not None:
        audit_record(
            actor=instance,
            action="auth.password_changed",
            obj=instance,
            organisation=_organisation_of(instance),
        )
