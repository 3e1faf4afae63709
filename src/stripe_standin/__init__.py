"""A local stand-in for the parts of the Stripe HTTP API Moorage uses (tests and demo; imports nothing from Moorage)."""
