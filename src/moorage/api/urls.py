"""The REST API v1 instance: bearer-token auth with each endpoint's staff permissions, the API docs
setting, and one mapping of errors to 4xx JSON."""

import json
import logging
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from moorage.api.access import Throttled, authorize, client_ip, record_failure, refuse_if_blocked
from moorage.api.actions import api_token_authenticate
from moorage.api.models import ApiToken
from moorage.core import clock
from moorage.core.errors import DomainError

logger = logging.getLogger(__name__)

# No request body of this API nests deeper than 4 levels; 32 leaves room and stops a body that would
# exhaust the validators' recursion (Python's json module alone fails at ~1000 levels).
MAX_JSON_DEPTH = 32


class BodyRejected(Exception):
    """A request body the parser refuses, with a message for the caller."""


def _refuse_constant(name: str) -> Any:
    raise BodyRejected(f"{name} is not valid JSON")


def json_depth(data: Any, *, limit: int) -> int:
    """How deeply lists and objects nest in parsed JSON, counting up to `limit + 1` (iterative)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class StrictJsonParser(Parser):
    """JSON bodies only as the standard allows them (no NaN or Infinity), bounded in depth."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body, parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise BodyRejected(f"the JSON body nests more than {MAX_JSON_DEPTH} levels deep") from exc
        except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer of more than 4300 digits
            raise BodyRejected(f"the request body is not valid JSON ({exc})") from exc
        if json_depth(data, limit=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise BodyRejected(f"the JSON body nests more than {MAX_JSON_DEPTH} levels deep")
        return data


class StaffToken(HttpBearer):
    """`Authorization: Bearer TOKEN` of an active staff user (401 otherwise), whose Django permissions
    and token scopes allow this endpoint (403 otherwise). Each endpoint passes its own:
    `auth=StaffToken("customers.view_client", area="clients")`; the API's default has none, so an
    endpoint that forgets to declare them is closed."""

    def __init__(self, *permissions: str, area: str | None = None) -> None:
        super().__init__()
        self.permissions = permissions
        self.area = area

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        row = self.token_of(request, token)
        if row is not None:
            authorize(row, permissions=self.permissions, area=self.area, method=request.method or "GET")
        return row

    @staticmethod
    def token_of(request: HttpRequest, token: str) -> ApiToken | None:
        """The valid token (its user becomes request.user); a wrong one counts against the address."""
        ip = client_ip(request)
        refuse_if_blocked(ip)
        now = clock.now()
        row = api_token_authenticate(token, now=now)
        if row is None:
            record_failure(ip, now=now)
            return None
        request.user = row.user
        return row


def docs_access(view):  # noqa: ANN001, ANN201
    """MOORAGE_API_DOCS: "public" (anyone), "staff" (a staff session or a valid token), "off" (404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:  # noqa: ANN002, ANN003
        mode = getattr(settings, "MOORAGE_API_DOCS", "staff")
        if mode == "public":
            return view(request, *args, **kwargs)
        if mode != "staff":  # "off", and any unknown value: closed
            raise Http404("the API documentation is off")
        # The staff area's own test: an active staff session that has passed two-factor when required.
        allowed = admin.site.has_permission(request)
        header = request.headers.get("Authorization", "")
        if not allowed and header.startswith("Bearer "):
            try:
                allowed = StaffToken.token_of(request, header.removeprefix("Bearer ").strip()) is not None
            except DomainError as exc:
                return JsonResponse(exc.as_dict(), status=exc.status)
        if allowed:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            message = "the API schema is for staff: sign in to the staff area or send a token"
            return JsonResponse({"code": "unauthorized", "message": message, "field": None}, status=401)
        return redirect_to_login(request.get_full_path(), "admin:login")

    return wrapper


api = NinjaAPI(
    title="Moorage API",
    version="1",
    urls_namespace="api-v1",
    auth=StaffToken(),
    docs_decorator=docs_access,
    parser=StrictJsonParser(),
    description=(
        "Staff REST API of Moorage. Send `Authorization: Bearer TOKEN`. Amounts are decimal strings. "
        "Each endpoint needs the staff permission of the matching staff screen (403 otherwise) and a "
        "token whose scopes include it (`read` tokens only read)."
    ),
)


def _error(request: HttpRequest, status: int, code: str, message: str, field: str | None = None):  # noqa: ANN202
    return api.create_response(request, {"code": code, "message": message, "field": field}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):  # noqa: ANN201
    return _error(request, exc.status, exc.code, exc.message, exc.field)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled):  # noqa: ANN201
    response = _error(request, exc.status, exc.code, exc.message, exc.field)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError):  # noqa: ANN201
    has_header = bool(request.headers.get("Authorization"))
    message = "the API token is invalid or revoked" if has_header else "send Authorization: Bearer TOKEN"
    return _error(request, 401, "unauthorized", message)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):  # noqa: ANN201
    """Errors raised by the framework itself (an unreadable body …), in the same JSON shape."""
    if isinstance(exc, AuthenticationError):
        return auth_error(request, exc)
    cause = exc.__cause__
    if isinstance(cause, RequestDataTooBig):
        return body_too_big(request, cause)
    if isinstance(cause, BodyRejected):
        return _error(request, 400, "bad_request", str(cause))
    message = str(exc) or "bad request"
    if "parse request body" in message:
        message = "the request body is not valid JSON"
    return _error(request, exc.status_code, "bad_request", message)


def _field_of(loc: Any) -> str | None:
    """A field path such as `items.0.hostname` from a pydantic error location; the caller's own
    keys are shown only when they are short, printable text."""
    parts = []
    for part in loc:
        if part in ("body", "payload", "query", "path", "header", "cookie"):
            continue
        text = str(part)
        parts.append(text if len(text) <= 64 and text.isprintable() else "?")
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):  # noqa: ANN201
    first = exc.errors[0] if exc.errors else {}
    field = _field_of(first.get("loc", []))
    message = first.get("msg", "invalid request")
    return api.create_response(
        request,
        {
            "code": "invalid",
            "message": f"{field}: {message}" if field else message,
            "field": field,
            "errors": [{"field": _field_of(e.get("loc", [])), "message": e.get("msg")} for e in exc.errors],
        },
        status=422,
    )


@api.exception_handler(RequestDataTooBig)
def body_too_big(request: HttpRequest, exc: RequestDataTooBig):  # noqa: ANN201
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(request, 413, "body_too_large", f"the request body is larger than {limit} bytes")


@api.exception_handler(Exception)
def unexpected_error(request: HttpRequest, exc: Exception):  # noqa: ANN201
    """Whatever else escapes an endpoint still answers JSON: Django's own refusals keep their status;
    a bug is logged (and signalled, as Django does for its 500 page) and answered 500."""
    if isinstance(exc, PermissionDenied):
        return _error(request, 403, "forbidden", str(exc) or "permission denied")
    if isinstance(exc, SuspiciousOperation):
        return _error(request, 400, "bad_request", "the request was refused")
    logger.exception("API error on %s %s", request.method, request.path)
    got_request_exception.send(sender=None, request=request)
    return _error(request, 500, "server_error", "an unexpected error occurred; it has been logged")


import moorage.api.endpoints_panel  # noqa: E402,F401  (Databases, Emails, FTP Users)
from moorage.api import endpoints  # noqa: E402,F401  (registers the routes on `api`)

# isort: split
from moorage.api import endpoints_lists  # noqa: E402,F401

# isort: split
from moorage.api import endpoints_changes  # noqa: E402,F401

# isort: split
from moorage.api import endpoints_service_extras  # noqa: E402,F401  (Client Functions: notes, status updates, auto renewal/payment)

# isort: split
from moorage.api import endpoints_service_fns  # noqa: E402,F401  (billing-side client functions)

# isort: split
# Product components for building an order; a service's answers and add-ons.
from moorage.api import endpoints_components  # noqa: E402,F401
