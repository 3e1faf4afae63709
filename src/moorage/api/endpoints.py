"""REST API v1 endpoints."""
