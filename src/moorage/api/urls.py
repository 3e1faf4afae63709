"""The REST API v1 instance (endpoints live in moorage.api.endpoints)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Moorage API", version="1", urls_namespace="api-v1")

from moorage.api import endpoints  # noqa: E402,F401  (registers the routes on `api`)
