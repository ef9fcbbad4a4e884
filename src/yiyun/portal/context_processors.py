from django.urls import reverse

from yiyun.core.apps_registry import menu_items
from yiyun.tenancy.selectors import is_read_only, person_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = request.path
    menu = []
    for name, label in menu_items():
        url = reverse(name)
        active = current == url if url == "/" else current.startswith(url)
        menu.append({"url": url, "label": label, "active": active})
    return {"menu": menu, "me": person_of(user), "read_only": is_read_only(user)}
