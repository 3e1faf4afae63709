"""Request guards every page shares: no NUL character in a request, and a shorter session for staff."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import Resolver404, resolve

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A whole number in a query string beyond a 64-bit column is no id of anything (PostgreSQL and
# Python's date functions raise on it). Free-text search (`q`) may hold long digit strings.
MAX_ID = 2**63 - 1
INTEGER = re.compile(r"[+-]?\d+")
FREE_TEXT = {"q", "next"}
# Date-hierarchy and date filters (`created_at__year=…`): the parts of a date Python can hold,
# with one day to spare at either end (the staff area's filters add a day to the one chosen).
DATE_PARTS = {"__year": (2, 9998), "__month": (1, 12), "__day": (1, 31)}


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
        _check_admin_object_id(request.path_info)
        for key, values in request.GET.lists():
            if problem := _query_value_problem(key, values):
                return problem
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        # Reading the form here is what CSRF protection does anyway; a body over the size limit
        # raises RequestDataTooBig, which Django answers with 400.
        if _has_nul(request.POST.lists()) or any(NUL in (f.name or "") for f in request.FILES.values()):
            return "A NUL character is not allowed in a form field."
        return None


def _query_value_problem(key: str, values: list[str]) -> str | None:
    """Why a query parameter cannot be a filter value, or None."""
    part = next((suffix for suffix in DATE_PARTS if key.endswith(suffix)), None)
    for raw in values:
        text = raw.strip()
        if part is not None:
            low, high = DATE_PARTS[part]
            if not text.isdigit() or not low <= int(text[:6]) <= high or len(text) > 6:
                return f"{key} must be a whole number from {low} to {high}."
        elif key not in FREE_TEXT and INTEGER.fullmatch(text) and (len(text) > 20 or abs(int(text)) > MAX_ID):
            return f"{key} is out of range."
    return None


ADMIN_PREFIX = "/admin/"


def _check_admin_object_id(path: str) -> None:
    """404 for a staff page of an object whose id cannot be a key of its table (`/1e3/change/`).

    The staff area's own pages and the extra pages of each app (status, cancel, export, …) take the
    id from the path as `object_id`; one check here covers them all, for every model with an
    integer key.
    """
    if not path.startswith(ADMIN_PREFIX):
        return
    try:
        match = resolve(path)
    except Resolver404:
        return
    object_id = match.kwargs.get("object_id")
    parts = path[len(ADMIN_PREFIX) :].split("/")
    if object_id is None or len(parts) < 3:
        return
    try:
        model = apps.get_model(parts[0], parts[1])
    except (LookupError, ValueError):
        return
    if not isinstance(model._meta.pk, models.IntegerField | models.AutoField):
        return  # a UUID or text key: the admin checks it itself
    if not object_id.isascii() or not object_id.isdigit() or len(object_id) > 19 or int(object_id) > MAX_ID:
        raise Http404(f"{model._meta.verbose_name} {object_id[:40]!r} does not exist")


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
