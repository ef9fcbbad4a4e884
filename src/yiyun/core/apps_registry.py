"""How each app plugs into the shared shell without anyone editing a central list.

An app may define, in its own modules:
- `api.py` with `router` (a ninja Router) and `PREFIX` ("/contracts"): mounted under /api/;
- `urls.py` with `urlpatterns` and `app_name`: mounted under /<label>/;
and on its AppConfig:
- `menu`: [(url name, label, order)] for the main menu;
- `dashboard_panels`: ["dotted.path.to.callable"], each `f(request) -> str` (safe HTML);
- `periodic_jobs`: [("dotted.path.to.callable", seconds)], run by `yiyun worker`;
- `calendar_changed_hooks`: ["dotted.path.to.callable"], each `f(*, years)` called with the
  frozenset of years whose holiday schedule was just imported or corrected.
"""

import importlib
import importlib.util

from django.apps import apps
from django.utils.module_loading import import_string


def yiyun_apps():
    return [config for config in apps.get_app_configs() if config.name.startswith("yiyun.")]


def app_module(config, name: str):
    """`yiyun.<app>.<name>` when the app has that module, else None."""
    dotted = f"{config.name}.{name}"
    if importlib.util.find_spec(dotted) is None:
        return None
    return importlib.import_module(dotted)


def menu_items() -> list[tuple[str, str]]:
    items = []
    for config in yiyun_apps():
        items.extend(getattr(config, "menu", []))
    return [(name, label) for name, label, _order in sorted(items, key=lambda item: item[2])]


def dashboard_panels():
    return [
        import_string(path)
        for config in yiyun_apps()
        for path in getattr(config, "dashboard_panels", [])
    ]


def periodic_jobs() -> list[tuple[str, int]]:
    return [job for config in yiyun_apps() for job in getattr(config, "periodic_jobs", [])]


def calendar_changed_hooks():
    """The callables every app lists to run when a year's holiday schedule changes.

    Each is called as `hook(years=frozenset({2027}))` inside the transaction that imported
    or corrected those years, e.g. to recompute the open obligations that depend on them.
    """
    return [
        import_string(path)
        for config in yiyun_apps()
        for path in getattr(config, "calendar_changed_hooks", [])
    ]
