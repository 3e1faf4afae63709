"""A local stand-in for the parts of the PayPal REST API (Orders v2) Moorage uses (tests and demo; imports nothing from Moorage)."""
