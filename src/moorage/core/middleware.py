"""Request guards every page shares: no NUL character in a request, and a shorter session for staff."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(items) -> bool:  # noqa: ANN001
    return any(NUL in key or any(NUL in v for v in values) for key, values in items)


class HostileInputMiddleware:
    """Answer 400 to a request with a NUL character in its path, query string or form fields.

    No text Moorage keeps may hold NUL (PostgreSQL refuses it in text columns, so it would surface as
    a 500 in whichever query met it first). Refusing it once here covers every page, the staff
    area's search and filters included; form validators keep covering what reaches a form.
    The REST API answers its own errors in JSON, so its paths are left to it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/") and (problem := self._problem(request)):
            return HttpResponseBadRequest(problem)
        return self.get_response(request)

    @staticmethod
    def _problem(request: HttpRequest) -> str | None:
        if NUL in request.path_info or _has_nul(request.GET.lists()):
            return "A NUL character is not allowed in a request."
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        # Reading the form here is what CSRF protection does anyway; a body over the size limit
        # raises RequestDataTooBig, which Django answers with 400.
        if _has_nul(request.POST.lists()) or any(NUL in (f.name or "") for f in request.FILES.values()):
            return "A NUL character is not allowed in a form field."
        return None


class StaffSessionMiddleware:
    """A staff member's session lasts MOORAGE_STAFF_SESSION_AGE seconds (shorter than a client's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: a login in this request has rotated the session and set the user.
        user = getattr(request, "user", None)
        age = settings.MOORAGE_STAFF_SESSION_AGE
        session = getattr(request, "session", None)
        staff = user is not None and user.is_authenticated and user.is_staff
        if age and staff and session is not None and session.get("_session_expiry") != age:
            session.set_expiry(age)
        return response
