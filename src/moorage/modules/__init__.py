"""Provisioning modules shipped with Moorage (registered through entry points like any other)."""
