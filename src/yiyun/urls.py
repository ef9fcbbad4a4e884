from django.contrib import admin
from django.urls import include, path

from yiyun.api import api
from yiyun.core.apps_registry import app_module, yiyun_apps
from yiyun.core.metrics import metrics_view
from yiyun.core.views import healthz


def _app_urls():
    # Each app with a urls.py is mounted under its label; the portal owns the root.
    patterns = []
    for config in yiyun_apps():
        if config.label != "portal" and app_module(config, "urls") is not None:
            patterns.append(path(f"{config.label}/", include(f"{config.name}.urls")))
    return patterns


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    *_app_urls(),
    path("", include("yiyun.portal.urls")),
]
