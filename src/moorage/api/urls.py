"""The REST API v1 instance: bearer-token auth and one mapping of errors to 4xx JSON."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from moorage.api.actions import api_token_authenticate
from moorage.core.errors import DomainError


class StaffToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):  # noqa: ANN201
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Moorage API",
    version="1",
    urls_namespace="api-v1",
    auth=StaffToken(),
    description="Staff REST API of Moorage. Send `Authorization: Bearer TOKEN`. Amounts are decimal strings.",
)


def _error(request: HttpRequest, status: int, code: str, message: str, field: str | None = None):  # noqa: ANN202
    return api.create_response(request, {"code": code, "message": message, "field": field}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):  # noqa: ANN201
    return _error(request, exc.status, exc.code, exc.message, exc.field)


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
    message = str(exc) or "bad request"
    if "parse request body" in message:
        message = "the request body is not valid JSON"
    return _error(request, exc.status_code, "bad_request", message)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):  # noqa: ANN201
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "payload", "query", "path")]
    field = ".".join(loc) or None
    message = first.get("msg", "invalid request")
    return api.create_response(
        request,
        {
            "code": "invalid",
            "message": f"{field}: {message}" if field else message,
            "field": field,
            "errors": [
                {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "message": e.get("msg")} for e in exc.errors
            ],
        },
        status=422,
    )


from moorage.api import endpoints  # noqa: E402,F401  (registers the routes on `api`)
