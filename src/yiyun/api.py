"""The one NinjaAPI: each app's router mounted under /api/, errors always JSON."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from yiyun.core.errors import DomainError
from yiyun.tenancy.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer yy_…` with a personal API token."""

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class YiyunAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # "<app>_<function>", e.g. "tenancy_person_get": stable and readable.
        app = operation.view_func.__module__.split(".")[1]
        return f"{app}_{operation.view_func.__name__}"


api = YiyunAPI(
    title="医云 yiyun API",
    version="1",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    body = {"detail": exc.message, "code": exc.code}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(DjangoValidationError)
def _invalid(request, exc: DjangoValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail, "code": "invalid"}, status=400)


def _mount_routers() -> None:
    from yiyun.core.apps_registry import app_module, yiyun_apps

    for config in yiyun_apps():
        module = app_module(config, "api")
        if module is not None:
            api.add_router(module.PREFIX, module.router)


_mount_routers()
