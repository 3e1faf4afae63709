"""The language of a page: a signed-in client's own (Client.language); English for the REST API."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from moorage.clientarea.views import IMPERSONATOR_KEY  # set by Login as Client

API_PREFIX = "/api/"
STAFF_PREFIX = "/admin/"


class ClientLanguageMiddleware:
    """After authentication: a client's pages follow the language saved on the client.

    LocaleMiddleware has already chosen from the cookie and Accept-Language; that choice stands for
    visitors and for the staff area (Django's admin ships its own catalogs). The API's texts and
    error messages stay English whatever the caller's headers say.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._language(request)
        if language is not None:
            translation.activate(language)
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        # Not while staff are logged in as the client: the cookie would carry the client's language
        # back into the staff member's own pages.
        impersonating = getattr(request, "session", {}).get(IMPERSONATOR_KEY)
        if language is not None and not request.path_info.startswith(API_PREFIX) and not impersonating:
            _remember(request, response, language)
        return response

    @staticmethod
    def _language(request: HttpRequest) -> str | None:
        path = request.path_info
        if path.startswith(API_PREFIX):
            return settings.LANGUAGE_CODE
        if path.startswith(STAFF_PREFIX):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        client = getattr(user, "client", None)  # the view reads the same cached row
        language = getattr(client, "language", None)
        return language if language in dict(settings.LANGUAGES) else None


def _remember(request: HttpRequest, response: HttpResponse, language: str) -> None:
    """The client's language in the language cookie too, so the pages after sign-out keep it."""
    if (
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) == language
        or settings.LANGUAGE_COOKIE_NAME in response.cookies
    ):
        return  # already remembered, or the switcher has just set it
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
