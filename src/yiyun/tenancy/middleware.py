from django.conf import settings
from django.utils import translation

from yiyun.tenancy.selectors import person_of

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    """Activate the signed-in person's language, else the cookie's, else zh-Hans."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        person = person_of(getattr(request, "user", None))
        language = person.language if person is not None else None
        if language not in SUPPORTED:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in SUPPORTED:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
